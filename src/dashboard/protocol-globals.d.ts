// protocol/api.ts checks base64 uploads with Node's Buffer on the server; the dashboard never calls that check, but
// type-checks the file. This names the one use, so the dashboard's build needs no Node types.
declare const Buffer: { from(text: string, encoding: "base64"): { readonly length: number } };
