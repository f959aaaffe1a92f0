/**
 * Which attachments are refused as executables, by name and by content.
 *
 * A name is judged the way Windows and browsers will save it: Unicode-normalised (NFKC, so full-width letters are
 * plain ones), invisible format characters (bidi overrides, zero-width marks) removed, and trailing dots and spaces
 * removed (`evil.exe.` and `evil.exe ` are saved as `evil.exe`). Names with characters Windows cannot store
 * (`<>:"|?*`, which also hide NTFS streams such as `evil.exe::$DATA`) are refused outright.
 * Content is judged by its first bytes: Windows PE (`MZ`), ELF, Mach-O and universal binaries, Java classes and
 * scripts with a `#!` line are refused whatever the name and declared type say.
 */

/** Extensions refused, lowercase, without the dot: programs, scripts, installers, shortcuts and disk images. */
export const BLOCKED_EXTENSIONS: readonly string[] = [
  // Windows programs and libraries
  "exe", "com", "scr", "pif", "cpl", "dll", "sys", "drv", "ocx", "msi", "msp", "mst", "msix", "msixbundle", "appx",
  "appxbundle", "application", "gadget", "xbap", "xll",
  // Windows scripts and script hosts
  "bat", "cmd", "ps1", "ps1xml", "ps2", "ps2xml", "psc1", "psc2", "psd1", "psm1", "vb", "vbs", "vbe", "js", "jse",
  "wsf", "wsh", "wsc", "ws", "hta", "sct", "shs", "msh", "msh1", "msh2", "mshxml", "msc", "scf", "inf", "reg",
  // shortcuts and links that run something
  "lnk", "url", "website", "settingcontent-ms", "desktop",
  // help files and archives Windows opens as code
  "chm", "hlp", "cab",
  // disk images (mounted with their programs in reach)
  "iso", "img", "vhd", "vhdx", "dmg",
  // Unix, macOS, Android and Java programs and scripts
  "sh", "bash", "zsh", "csh", "ksh", "fish", "command", "tool", "run", "bin", "out", "elf", "so", "dylib", "app",
  "pkg", "mpkg", "deb", "rpm", "appimage", "apk", "xapk", "jar", "jnlp", "class",
];

const BLOCKED = new Set(BLOCKED_EXTENSIONS);

/** Characters Windows refuses in a file name; `:` also names an NTFS stream. */
const WINDOWS_RESERVED = /[<>:"|?*]/;
/** Unicode format characters (bidi overrides and isolates, zero-width marks, BOM): invisible, they only disguise. */
const INVISIBLE = /\p{Cf}/gu;

/** The name as Windows and browsers store it: NFKC, no invisible format characters, no trailing dots or spaces. */
export function normaliseFileName(name: string): string {
  return name.normalize("NFKC").replace(INVISIBLE, "").trim().replace(/[. ]+$/, "");
}

/** Why the name cannot be taken, or `undefined` when it can. */
export function fileNameProblem(name: string): string | undefined {
  if (/[/\\\u0000-\u001f\u007f]/.test(name)) return "must be a plain file name, without folders or control characters";
  if (WINDOWS_RESERVED.test(name)) return 'must not contain < > : " | ? *';
  const normal = normaliseFileName(name);
  if (normal === "" || /^\.+$/.test(normal)) return "must be a plain file name";
  const dot = normal.lastIndexOf(".");
  const extension = dot < 0 ? "" : normal.slice(dot + 1).toLowerCase();
  if (BLOCKED.has(extension)) return "executables are not accepted";
  return undefined;
}

const startsWith = (bytes: Uint8Array, signature: readonly number[]): boolean =>
  bytes.length >= signature.length && signature.every((byte, i) => bytes[i] === byte);

/** First bytes of programs: PE, ELF, Mach-O (32/64, both byte orders), universal binaries and Java classes, scripts. */
const EXECUTABLE_SIGNATURES: readonly (readonly number[])[] = [
  [0x4d, 0x5a], // MZ: Windows PE and DOS programs
  [0x7f, 0x45, 0x4c, 0x46], // \x7fELF
  [0xfe, 0xed, 0xfa, 0xce],
  [0xfe, 0xed, 0xfa, 0xcf],
  [0xce, 0xfa, 0xed, 0xfe],
  [0xcf, 0xfa, 0xed, 0xfe],
  [0xca, 0xfe, 0xba, 0xbe], // Mach-O universal binary, or a Java class
  [0x23, 0x21], // #!: a script for an interpreter
  [0x4c, 0x00, 0x00, 0x00, 0x01, 0x14, 0x02, 0x00], // Windows shortcut (.lnk)
];

/** How many first bytes {@link isExecutableContent} needs to judge a file (its longest signature). */
export const EXECUTABLE_SNIFF_BYTES = Math.max(...EXECUTABLE_SIGNATURES.map((signature) => signature.length));

/** Whether the bytes are a program or a script, whatever the file is called. */
export function isExecutableContent(bytes: Uint8Array): boolean {
  return EXECUTABLE_SIGNATURES.some((signature) => startsWith(bytes, signature));
}
