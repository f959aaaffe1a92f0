// The dashboard's build (`npm run build:dashboard`, part of `npm run build`): src/dashboard/ into static files in
// dist/bundle/dashboard/, which the package ships and `clawtell server` serves under /dashboard. Hashed file names
// (cached for a year), no inline script or style (the pages' Content-Security-Policy forbids them).
import preact from "@preact/preset-vite";
import { resolve } from "node:path";
import { defineConfig } from "vite";

export default defineConfig({
  root: resolve(import.meta.dirname, "src/dashboard"),
  base: "/dashboard/",
  plugins: [preact({ devToolsEnabled: false, prefreshEnabled: false })],
  build: {
    outDir: resolve(import.meta.dirname, "dist/bundle/dashboard"),
    emptyOutDir: true,
    assetsDir: "assets",
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    cssCodeSplit: false,
    sourcemap: false,
    target: "es2022",
    reportCompressedSize: false,
  },
  logLevel: "warn",
});
