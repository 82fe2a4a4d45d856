// Tables (markdown) from the results object that run.mjs also writes as JSON.

const int = (value) => Math.round(value).toLocaleString("en-US");
const ms = (value) => (value >= 10 ? value.toFixed(1) : value.toFixed(2));
const mib = (bytes) => (bytes === undefined ? "?" : `${(bytes / 1048576).toFixed(0)}`);
const ratio = (value) => (value === undefined ? "" : ` (${value.toFixed(2)}×)`);

function table(header, rows) {
  return [
    `| ${header.join(" | ")} |`,
    `|${header.map(() => "---").join("|")}|`,
    ...rows.map((row) => `| ${row.join(" | ")} |`),
  ].join("\n");
}

export function formatTables(results) {
  const systems = results.systems;
  const names = Object.keys(systems);
  const out = [];

  /** One row a cell, one column a system; `text(result)` fills a cell the system ran in. */
  const bySystem = (text) =>
    table(
      ["cell", ...names.map((name) => systems[name].label)],
      results.cells.map((cell) => [
        cell.label,
        ...names.map((name) => {
          const result = cell.results[name];
          return result ? text(result) : "—";
        }),
      ]),
    );

  out.push("Throughput, calls/s (× SDK direct in the same cell):", "");
  out.push(bySystem((result) => `${int(result.reqPerSec)}${ratio(result.ratioVsSdk?.reqPerSec)}`));

  out.push("", "Latency p50 / p99, ms:", "");
  out.push(bySystem((result) => `${ms(result.p50Ms)} / ${ms(result.p99Ms)}`));

  out.push(
    "",
    "CPU per call of each system's own processes, µs (gateway or API + CLI; stdio/HTTP echo upstreams excluded):",
    "",
  );
  out.push(
    bySystem(({ cpuUsPerCall: cpu }) => {
      if (!cpu) return "—";
      return cpu.api === undefined ? int(cpu.total) : `${int(cpu.total)} (API ${int(cpu.api)} + CLI ${int(cpu.cli)})`;
    }),
  );

  const conduits = names.filter((name) => systems[name].conduit);
  if (conduits.length > 0) {
    out.push(
      "",
      "Conduit's processes: RSS in MiB (after start → after each cell) and warnings in their output during the run (not while being stopped):",
      "",
    );
    const rows = [];
    for (const name of conduits) {
      for (const role of ["api", "cli"]) {
        const rss = systems[name].rss[role];
        const trail = results.cells.map((cell) => mib(cell.results[name]?.rssEnd?.[role])).join(" → ");
        const warnings = systems[name].warnings[role] ?? {};
        const described = Object.entries(warnings)
          .map(([kind, count]) => `${kind} ×${count}`)
          .join(", ");
        rows.push([`${systems[name].label}`, role.toUpperCase(), `${mib(rss.start)} → ${trail}`, described || "none"]);
      }
    }
    out.push(table(["system", "process", "RSS MiB", "warnings"], rows));
  }
  return out.join("\n");
}
