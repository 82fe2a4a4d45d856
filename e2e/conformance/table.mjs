// The report as text: `scenario | direct | tunnel`, the totals line, and why
// the scenarios that matter failed (their FAILURE checks).

const LATEST_DATED = "2025-11-25";

const cell = (verdict) => (verdict === undefined ? "—" : verdict.pass ? "pass" : "FAIL");

/** Whether the scenario applies to the latest dated revision (not draft-only, not an extension). */
const dated = (row) => row.revisions.length === 0 || row.revisions.includes(LATEST_DATED);

/** The name, plus its revisions when it is draft-only or an extension. */
const label = (row) => (dated(row) ? row.scenario : `${row.scenario} (${row.revisions.join(", ")})`);

function why(verdict) {
  const text = verdict.failures
    .map((failure) => `${failure.id}: ${failure.message}`)
    .join("; ")
    .replace(/\s+/g, " ");
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

function totals(side, run) {
  return run ? `${side} ${run.passed}/${run.total}` : `${side} not run`;
}

export function formatTable(report) {
  const rows = report.scenarios.map((row) => [label(row), cell(row.direct), cell(row.tunnel)]);
  const header = ["scenario", "direct", "tunnel"];
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column].length)));
  const line = (cells) => cells.map((text, column) => text.padEnd(widths[column])).join(" | ");
  const out = [line(header), widths.map((width) => "-".repeat(width)).join("-|-"), ...rows.map(line), ""];
  out.push(`${totals("direct", report.direct)}, ${totals("tunnel", report.tunnel)}`);
  const current = report.scenarios.filter(dated);
  const subset = (side) =>
    report[side] ? `${side} ${current.filter((row) => row[side]?.pass).length}/${current.length}` : `${side} not run`;
  out.push(`${LATEST_DATED} scenarios only: ${subset("direct")}, ${subset("tunnel")}`);

  // Why: every direct failure of a dated scenario, and every tunnel failure of
  // a scenario that passed directly. Draft-only and extension scenarios that
  // fail directly are only counted (the fixture's SDK does not speak them).
  let undetailed = 0;
  for (const row of report.scenarios) {
    if (row.direct && !row.direct.pass) {
      if (dated(row)) out.push(`  direct ✗ ${row.scenario}: ${why(row.direct)}`);
      else undetailed += 1;
    } else if (row.direct?.pass && row.tunnel && !row.tunnel.pass) {
      out.push(`  tunnel ✗ ${row.scenario}: ${why(row.tunnel)}`);
    }
  }
  if (undetailed > 0)
    out.push(`  ${undetailed} draft-only or extension scenarios fail directly: their checks are in the JSON report`);
  if (report.error) out.push(`harness error: ${report.error}`);
  return out.join("\n");
}
