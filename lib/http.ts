/**
 * A small HTTP(S) request helper on Node's http/https, for the dynamic providers that talk to
 * Creatio and the Identity Service. No `fetch`: one request must be able to trust an extra CA
 * (`caPem`) without touching the process's TLS settings, which http/https's per-request `ca` gives.
 *
 * Runs inside Pulumi dynamic providers after closure serialization: Node's modules are required
 * inside the function bodies, nothing is captured but the other functions of this module.
 */

export interface HttpRequest {
  readonly method?: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
  /** Extra CA certificate(s), PEM, trusted for this request only (on top of Node's built-in roots). */
  readonly caPem?: string;
  /** The whole exchange, connect to last byte, must finish within this. */
  readonly timeoutMs: number;
}

export interface HttpResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/** One HTTP(S) request with a hard deadline; redirects are not followed. */
export function httpRequest(url: string, request: HttpRequest): Promise<HttpResponse> {
  const target = new URL(url);
  const secure = target.protocol === "https:";
  const transport: typeof import("https") = secure ? require("https") : require("http");
  const options: import("https").RequestOptions = {
    method: request.method ?? "GET",
    headers: { ...(request.headers ?? {}) },
    // A fresh connection per request: no keep-alive socket outlives the provider call.
    agent: false,
  };
  if (request.body !== undefined) (options.headers as Record<string, string | number>)["Content-Length"] = Buffer.byteLength(request.body);
  if (secure && request.caPem) options.ca = [...require("tls").rootCertificates, request.caPem];
  return new Promise((resolve, reject) => {
    let settled = false;
    let timer: ReturnType<typeof setTimeout> | undefined = undefined;
    const finish = (error: Error | undefined, response?: HttpResponse) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error) reject(error);
      else resolve(response as HttpResponse);
    };
    const req = transport.request(target, options, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("error", (e) => finish(e));
      res.on("end", () => finish(undefined, { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
    });
    timer = setTimeout(() => {
      const e = new Error(`no answer within ${Math.round(request.timeoutMs / 100) / 10} s`);
      req.destroy(e);
      finish(e);
    }, request.timeoutMs);
    req.on("error", (e) => finish(e));
    if (request.body !== undefined) req.write(request.body);
    req.end();
  });
}

/** A URL fit for messages: no user info, query or fragment (they may carry credentials or tokens). */
export function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname === "/" ? "" : u.pathname}`;
  } catch {
    return "(an unparsable URL)";
  }
}

/** `code: message` of a network error (ECONNREFUSED, a TLS verification failure, our own timeout). */
export function describeError(e: unknown): string {
  const err = e as { code?: unknown; message?: unknown };
  const message = typeof err?.message === "string" ? err.message : String(e);
  return typeof err?.code === "string" && !message.includes(err.code) ? `${err.code}: ${message}` : message;
}
