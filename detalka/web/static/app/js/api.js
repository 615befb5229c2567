// The cabinet talks to Detalka only through the public API, as any outside team would:
// POST /graphql with a bearer token, and graphql-transport-ws (the graphql-ws client) for
// live updates. GraphQL documents are the .graphql files next to this app.

import { createClient } from "graphql-ws";

const TOKEN_KEY = "detalka.session";
// Relative to /app/, so that Detalka behind a path prefix still works.
const ENDPOINT = new URL("../graphql", document.baseURI);
const DOCUMENTS = new URL("graphql/", document.baseURI);
const SOCKET_FORBIDDEN = 4403; // the server's answer to a token that does not check out

const documents = new Map();

export function documentText(name) {
  if (!documents.has(name)) {
    documents.set(name, loadDocument(new URL(`${name}.graphql`, DOCUMENTS), new Set()));
  }
  return documents.get(name);
}

// `#import "./fragments/X.graphql"` pulls in shared fragments, once each (graphql-tag's
// loader convention); tests/test_cabinet_documents.py resolves them the same way.
async function loadDocument(url, seen) {
  if (seen.has(url.href)) return "";
  seen.add(url.href);
  const response = await fetch(url, { credentials: "omit" });
  if (!response.ok) throw new Error(`${url.pathname}: HTTP ${response.status}`);
  const text = await response.text();
  const imports = [...text.matchAll(/^#import\s+"([^"]+)"/gm)].map((m) => new URL(m[1], url));
  const parts = [];
  for (const imported of imports) parts.push(await loadDocument(imported, seen));
  return [text, ...parts].join("\n");
}

function normalise(errors) {
  return (errors ?? []).map((e) => ({
    message: e.message,
    code: e.extensions?.code ?? "INTERNAL_SERVER_ERROR",
    path: e.path,
  }));
}

const failure = (code) => ({ data: null, errors: [{ code, message: "" }] });

export class Api {
  constructor() {
    this.token = sessionStorage.getItem(TOKEN_KEY);
    this.socket = null;
    this.onSignedOut = () => {};
  }

  get signedIn() {
    return Boolean(this.token);
  }

  setToken(token) {
    this.token = token;
    this.signingOut = false;
    sessionStorage.setItem(TOKEN_KEY, token);
  }

  // The session is gone (signed out here, expired, ended elsewhere): forget it everywhere.
  forget(reason) {
    const had = this.token;
    this.token = null;
    sessionStorage.removeItem(TOKEN_KEY);
    this.socket?.dispose();
    this.socket = null;
    const signingOut = this.signingOut;
    this.signingOut = false;
    if (had) this.onSignedOut(signingOut ? "signed-out" : reason);
  }

  // A bad, expired or revoked token is UNAUTHENTICATED (HTTP 401 under
  // application/graphql-response+json); FORBIDDEN is a scope, which a session always has.
  isAuthError(error) {
    return error.code === "UNAUTHENTICATED";
  }

  // Resolves to { data, errors }: data as far as it came (partial results are shown),
  // errors with a code each; never rejects.
  async request(name, variables = {}) {
    let query;
    try {
      query = await documentText(name);
    } catch {
      return failure("NETWORK");
    }
    const headers = { "Content-Type": "application/json", Accept: "application/json" };
    if (this.token) headers.Authorization = `Bearer ${this.token}`;
    let response;
    try {
      // No cookies: the bearer token is the only credential, so signing out here is final.
      response = await fetch(ENDPOINT, {
        method: "POST",
        credentials: "omit",
        headers,
        body: JSON.stringify({ query, variables }),
      });
    } catch {
      return failure("NETWORK");
    }
    let body = null;
    try {
      body = await response.json();
    } catch {
      return failure(response.status >= 500 ? "INTERNAL_SERVER_ERROR" : "NETWORK");
    }
    const errors = normalise(body?.errors);
    const data = body?.data ?? null;
    // A null viewer with no error under it is an anonymous answer: the token no longer
    // counts. One with an error under it (a bad period nulls viewer.expenses, and so viewer)
    // is that error, shown by the screen.
    const viewerGone =
      this.signedIn &&
      data?.viewer === null &&
      !errors.some((e) => Array.isArray(e.path) && e.path[0] === "viewer");
    if (response.status === 401 || viewerGone || errors.some((e) => this.isAuthError(e))) {
      this.forget("expired");
    }
    return { data, errors };
  }

  socketClient() {
    if (!this.socket) {
      const url = new URL(ENDPOINT);
      url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
      const token = this.token;
      this.socket = createClient({
        url: url.href,
        // A browser cannot set headers on a WebSocket: the token goes in connection_init.
        connectionParams: () => ({ authorization: `Bearer ${token}` }),
        retryAttempts: 5,
        shouldRetry: (event) => event?.code !== SOCKET_FORBIDDEN,
        on: {
          closed: (event) => {
            if (event?.code === SOCKET_FORBIDDEN) this.forget("expired");
          },
        },
      });
    }
    return this.socket;
  }

  // sink: { next({data, errors}), error(errors) }; returns a function that unsubscribes.
  subscribe(name, variables, sink) {
    let stop = null;
    let stopped = false;
    documentText(name).then(
      (query) => {
        if (stopped || !this.signedIn) return;
        stop = this.socketClient().subscribe(
          { query, variables },
          {
            next: (result) => {
              const errors = normalise(result.errors);
              if (errors.some((e) => this.isAuthError(e))) this.forget("expired");
              sink.next({ data: result.data ?? null, errors });
            },
            error: (error) => {
              const errors = Array.isArray(error)
                ? normalise(error)
                : [{ code: error?.code === SOCKET_FORBIDDEN ? "UNAUTHENTICATED" : "NETWORK" }];
              if (errors.some((e) => this.isAuthError(e))) this.forget("expired");
              sink.error?.(errors);
            },
            complete: () => sink.complete?.(),
          },
        );
      },
      () => sink.error?.([{ code: "NETWORK" }]),
    );
    return () => {
      stopped = true;
      stop?.();
    };
  }
}

export const api = new Api();
