/**
 * The few small HTML pages the API answers for links opened in a browser (a verification, a sign-in): plain text,
 * no scripts, nothing loaded from elsewhere, never cached, never framed, and the link's token never sent to another
 * origin as a referrer.
 */

import type { FastifyReply } from "fastify";

const escape = (value: string): string =>
  value.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c);

/** A form with one button that posts hidden fields to `action` (same origin). */
export interface PageForm {
  readonly action: string;
  readonly fields: Readonly<Record<string, string>>;
  readonly button: string;
}

export function plainPage(title: string, paragraphs: readonly string[], form?: PageForm): string {
  const body = paragraphs.map((p) => `<p>${escape(p)}</p>`);
  if (form !== undefined) {
    const hidden = Object.entries(form.fields).map(([name, value]) => `<input type="hidden" name="${escape(name)}" value="${escape(value)}">`);
    body.push(`<form method="post" action="${escape(form.action)}">${hidden.join("")}<button type="submit">${escape(form.button)}</button></form>`);
  }
  return [
    "<!doctype html>",
    '<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escape(title)}</title>`,
    "<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;line-height:1.5}button{font-size:1rem;padding:.5rem 1.25rem}</style>",
    `</head><body><h1>${escape(title)}</h1>${body.join("")}</body></html>`,
  ].join("");
}

/** Sends a page with its status and the headers every page carries. */
export function sendPage(reply: FastifyReply, status: number, html: string): FastifyReply {
  return reply
    .status(status)
    .header("content-type", "text/html; charset=utf-8")
    .header("cache-control", "no-store")
    .header("referrer-policy", "same-origin")
    .header("x-frame-options", "DENY")
    .header("content-security-policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'")
    .send(html);
}
