import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { McpTrafficEvent } from "@conduit/host";
import { SESSION_TERMINATE } from "@conduit/protocol";

// Every method is forwarded; only these get their own label value.
const KNOWN_METHODS: ReadonlySet<string> = new Set([
  "tools/list",
  "tools/call",
  "resources/list",
  "resources/read",
  "resources/templates/list",
  "resources/subscribe",
  "resources/unsubscribe",
  "prompts/list",
  "prompts/get",
  "completion/complete",
  "logging/setLevel",
  "tasks/get",
  "tasks/list",
  "tasks/result",
  "tasks/cancel",
  "server/discover",
  "subscriptions/listen",
  "initialize",
  SESSION_TERMINATE,
  "notifications/initialized",
  "notifications/cancelled",
  "notifications/progress",
  "notifications/roots/list_changed",
  "response",
]);

/** Keeps the method label bounded: notification names come from the client. */
function methodLabel(method: string): string {
  return KNOWN_METHODS.has(method) ? method : "other";
}

/** Live values the gauges read at scrape time. */
export interface MetricsSources {
  openSockets(): number;
  registeredIds(): number;
  pendingRequests(): number;
  sseSubscribers(): number;
  runningAgents(): number;
}

/** The Prometheus registry of one server (never the global default registry). */
export class Metrics {
  readonly registry = new Registry();
  readonly observer: { forwarded(event: McpTrafficEvent): void };
  readonly droppedConnections: Counter<"listener">;

  constructor(sources: MetricsSources) {
    const registers = [this.registry];
    const live = (name: string, help: string, read: () => number): void => {
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(read());
        },
      });
    };
    live("conduit_open_sockets", "WebSockets attached to the conduit", () => sources.openSockets());
    live("conduit_registered_ids", "response ids registered on a reverse channel", () => sources.registeredIds());
    live("conduit_pending_requests", "server_requests awaiting their server_response, over all sockets", () =>
      sources.pendingRequests(),
    );
    live("conduit_sse_subscribers", "open GET-SSE list_changed streams on the MCP listener", () =>
      sources.sseSubscribers(),
    );
    live("conduit_agents_running", "agents currently running", () => sources.runningAgents());

    const forwarded = new Counter({
      name: "conduit_forwarded_requests_total",
      help: "MCP requests forwarded over a reverse channel, by method and outcome",
      labelNames: ["method", "outcome"] as const,
      registers,
    });
    const duration = new Histogram({
      name: "conduit_forward_duration_seconds",
      help: "time from an MCP request reaching the listener to its answer, by method",
      labelNames: ["method"] as const,
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    });
    const timeouts = new Counter({
      name: "conduit_timeouts_total",
      help: "forwarded MCP requests that timed out (-32003)",
      registers,
    });
    this.droppedConnections = new Counter({
      name: "conduit_connections_dropped_total",
      help: "connections closed at once because the listener already had its maximum open, by listener",
      labelNames: ["listener"] as const,
      registers,
    });
    collectDefaultMetrics({ register: this.registry });

    // prom-client hashes a label object on every inc/observe; the child of each label set is
    // kept instead (methods and outcomes are bounded sets, so these maps are too).
    const forwardedBy = new Map<string, Counter.Internal>();
    const durationBy = new Map<string, Histogram.Internal<"method">>();
    this.observer = {
      forwarded(event) {
        const method = methodLabel(event.method);
        const key = `${method} ${event.outcome}`;
        let count = forwardedBy.get(key);
        if (count === undefined) forwardedBy.set(key, (count = forwarded.labels(method, event.outcome)));
        count.inc();
        let observe = durationBy.get(method);
        if (observe === undefined) durationBy.set(method, (observe = duration.labels(method)));
        observe.observe(event.durationMs / 1000);
        if (event.outcome === "timeout") timeouts.inc();
      },
    };
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }
}
