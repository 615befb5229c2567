// A front-end team's client, run against a real Detalka by tests/test_js_client.py:
// Apollo Client 4 over HTTP (automatic persisted queries, hashed queries over GET) and
// graphql-ws 6 over the WebSocket, set up as docs/frontend.md says.
//
//   node client.mjs <base URL> <msisdn> <password> <region> <from> <to>
//
// Signs in, pages usage with fetchMore, places an order and follows it to READY over the
// socket, asks for regions twice (a persisted-query miss, then a hit over GET), and prints
// one JSON line of what it saw. Any failure exits non-zero with the reason on stderr.

import { createHash } from "node:crypto";

import { ApolloClient, ApolloLink, gql, HttpLink, InMemoryCache } from "@apollo/client";
import { SetContextLink } from "@apollo/client/link/context";
import { PersistedQueryLink } from "@apollo/client/link/persisted-queries";
import { GraphQLWsLink } from "@apollo/client/link/subscriptions";
import { relayStylePagination } from "@apollo/client/utilities";
import { OperationTypeNode } from "graphql";
import { createClient } from "graphql-ws";
import WebSocket from "ws";

const [base, msisdn, password, regionCode, from, to] = process.argv.slice(2);
const period = { from, to };
let token = null;
const requests = []; // every HTTP request the links made: method, query sent, answer's code

const SIGN_IN = gql`
  mutation SignIn($input: SessionCreateInput!) {
    sessionCreate(input: $input) { token userErrors { code message } }
  }
`;
const REGIONS = gql`
  query Regions { regions { id code name timeZone } }
`;
const USAGE = gql`
  query Usage($period: PeriodInput!, $first: Int, $after: String) {
    viewer {
      id
      usage(period: $period, first: $first, after: $after) {
        edges { cursor node { id occurredAt kind cost { amount currency } } }
        pageInfo { hasNextPage endCursor }
      }
    }
  }
`;
const PLACE = gql`
  mutation Place($input: DetailOrderInput!) {
    detailOrderCreate(input: $input) { order { id status } userErrors { code message } }
  }
`;
const FOLLOW = gql`
  subscription Follow($id: ID!) {
    detailOrderUpdated(id: $id) { id status progress document { fileName sizeBytes } }
  }
`;

// What the schema needs of Apollo's cache (docs/frontend.md): pages of a connection are one
// list per period, merged by cursor; value objects without an id (Money, Period, PageInfo...)
// merge into their parent instead of being replaced with a warning.
const cache = new InMemoryCache({
  typePolicies: {
    Subscriber: {
      fields: {
        usage: relayStylePagination(["period", "kinds"]),
        payments: relayStylePagination(["period"]),
        detailOrders: relayStylePagination(),
      },
    },
    Money: { keyFields: false, merge: true },
    Period: { keyFields: false, merge: true },
    PageInfo: { keyFields: false, merge: true },
    Balances: { keyFields: false, merge: true },
    ExpenseSummary: { keyFields: false, merge: true },
  },
});

async function recordingFetch(url, init) {
  const method = init?.method ?? "GET";
  const sent = method === "GET" ? new URL(url).searchParams.has("query") : init.body.includes('"query"');
  const response = await fetch(url, init);
  const body = await response.clone().json();
  const code = body.errors?.[0]?.extensions?.code ?? null;
  requests.push({ method, sentQuery: sent, status: response.status, code });
  return response;
}

const http = ApolloLink.from([
  new PersistedQueryLink({
    sha256: (text) => createHash("sha256").update(text).digest("hex"),
    useGETForHashedQueries: true,
  }),
  new SetContextLink(() => (token ? { headers: { authorization: `Bearer ${token}` } } : {})),
  new HttpLink({ uri: `${base}/graphql`, fetch: recordingFetch }),
]);

const socket = createClient({
  url: `${base.replace(/^http/, "ws")}/graphql`,
  webSocketImpl: WebSocket,
  // A browser cannot set headers on a WebSocket: the token goes in connection_init.
  connectionParams: () => ({ authorization: `Bearer ${token}` }),
  // 4403: the token does not check out; retrying with it cannot help (docs/frontend.md).
  shouldRetry: (event) => event?.code !== 4403,
  retryAttempts: 3,
});

const link = ApolloLink.split(
  ({ operationType }) => operationType === OperationTypeNode.SUBSCRIPTION,
  new GraphQLWsLink(socket),
  http,
);
const client = new ApolloClient({ link, cache });

function firstComplete(observable) {
  return new Promise((resolve, reject) => {
    const subscription = observable.subscribe({
      next: (result) => {
        if (result.error) {
          subscription.unsubscribe();
          reject(result.error);
        } else if (result.dataState === "complete") {
          resolve(result);
        }
      },
      error: reject,
    });
  });
}

function followToReady(orderId, deadlineMs = 60_000) {
  return new Promise((resolve, reject) => {
    const statuses = [];
    const timer = setTimeout(() => reject(new Error(`no READY in time: ${statuses}`)), deadlineMs);
    const subscription = client.subscribe({ query: FOLLOW, variables: { id: orderId } }).subscribe({
      next: ({ data, error }) => {
        if (error) return reject(error);
        const order = data.detailOrderUpdated;
        statuses.push(order.status);
        if (order.status === "READY") {
          clearTimeout(timer);
          subscription.unsubscribe();
          resolve({ statuses, document: order.document });
        }
      },
      error: (error) => reject(error),
    });
  });
}

async function main() {
  // sign in: a mutation, so its hash and then its document go by POST
  const signed = await client.mutate({
    mutation: SIGN_IN,
    variables: { input: { msisdn, password, regionCode } },
  });
  if (signed.error) throw signed.error;
  const answer = signed.data.sessionCreate;
  if (answer.userErrors.length) throw new Error(JSON.stringify(answer.userErrors));
  token = answer.token;

  // usage, two pages: the second by fetchMore, merged by the cache into one list
  const usage = client.watchQuery({ query: USAGE, variables: { period, first: 10 } });
  const firstPage = await firstComplete(usage);
  const cursor = firstPage.data.viewer.usage.pageInfo.endCursor;
  const more = await usage.fetchMore({ variables: { after: cursor } });
  if (more.error) throw more.error;
  // what a screen reading the first page's query now sees: both pages, in order
  const cached = client.readQuery({ query: USAGE, variables: { period, first: 10 } });
  const merged = cached.viewer.usage.edges.map((e) => e.node.id);

  // an order placed over HTTP, followed to READY over the socket
  const placed = await client.mutate({
    mutation: PLACE,
    variables: { input: { period, format: "CSV", delivery: "ARCHIVE" } },
  });
  if (placed.error) throw placed.error;
  if (placed.data.detailOrderCreate.userErrors.length) {
    throw new Error(JSON.stringify(placed.data.detailOrderCreate.userErrors));
  }
  const followed = await followToReady(placed.data.detailOrderCreate.order.id);

  // reference data twice: the first hash is unknown (sent again in full), the second a hit
  const marker = requests.length;
  for (let i = 0; i < 2; i += 1) {
    const regions = await client.query({ query: REGIONS, fetchPolicy: "network-only" });
    if (regions.error) throw regions.error;
  }

  console.log(
    JSON.stringify({
      signedIn: Boolean(token),
      usagePages: [firstPage.data.viewer.usage.edges.length, more.data.viewer.usage.edges.length],
      usageMerged: merged,
      statuses: followed.statuses,
      document: followed.document,
      regionsRequests: requests.slice(marker),
      requests,
    }),
  );
}

main()
  .then(async () => {
    await socket.dispose();
    process.exit(0);
  })
  .catch(async (error) => {
    console.error(error?.stack ?? error);
    await socket.dispose();
    process.exit(1);
  });
