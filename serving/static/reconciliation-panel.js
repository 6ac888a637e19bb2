// The till reconciliation panel (docs/reconciliation.md): per store and business day, whether the
// tills' end-of-day reports match what salesflow counted, the gap's size, and the event ids to ask
// the store to resend. Self-contained: the dashboard route inlines it at the end of the page
// (serving/routes/reconciliations.py, with_panel); it adds its own section to the page's <main>,
// reads GET /v1/reconciliations (the last SALESFLOW_RECONCILIATION_LOOKBACK_DAYS days) and
// refreshes itself. Money arrives as decimal strings and is only formatted, never computed.
(() => {
  "use strict";
  const REFRESH_MS = 15000;
  const SHOWN_IDS = 5;
  const LABELS = { matched: "matched", gap: "gap", not_reported: "not reported yet" };
  const ORDER = { gap: 0, not_reported: 1, matched: 2 };

  const style = document.createElement("style");
  style.textContent = `
    #reconciliation .rec-gap { color: #b3261e; font-weight: 600; }
    #reconciliation .rec-not_reported { color: #8a5a00; }
    #reconciliation .rec-matched { color: #1b6e20; }
    #reconciliation .rec-overdue::after { content: " · overdue"; color: #b3261e; font-weight: 600; }
    #reconciliation .scroll { overflow-x: auto; }
    #reconciliation td.num { text-align: right; font-variant-numeric: tabular-nums; }
    #reconciliation code { font-size: 0.85em; }`;
  document.head.appendChild(style);

  const section = document.createElement("section");
  section.className = "wide";
  section.id = "reconciliation";
  section.setAttribute("aria-labelledby", "reconciliation-title");
  section.innerHTML =
    '<div class="panel-head"><h2 id="reconciliation-title">Till reconciliation</h2>' +
    '<span class="status" id="reconciliation-summary" aria-live="polite">loading…</span></div>' +
    '<div class="scroll" tabindex="0" aria-label="till reconciliation">' +
    '<table id="reconciliation-table"></table></div>';
  (document.querySelector("main") || document.body).appendChild(section);

  const counts = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
  const decimalMark =
    new Intl.NumberFormat(undefined, { minimumFractionDigits: 1 })
      .formatToParts(1.5)
      .find((part) => part.type === "decimal")?.value || ".";

  function money(text) {
    // "-1234.50" -> "-1,234.50" in the browser's locale, exactly: whole part as a BigInt.
    const negative = text.startsWith("-");
    const [whole, fraction = "00"] = text.replace("-", "").split(".");
    return (negative ? "-" : "") + counts.format(BigInt(whole)) + decimalMark + fraction.padEnd(2, "0");
  }

  function cell(row, text, className) {
    const td = document.createElement("td");
    td.textContent = text;
    if (className) td.className = className;
    row.appendChild(td);
    return td;
  }

  function idsCell(row, ids) {
    const td = cell(row, "");
    if (!ids.length) return;
    const shown = document.createElement("code");
    shown.textContent = ids.slice(0, SHOWN_IDS).join(" ");
    td.appendChild(shown);
    if (ids.length > SHOWN_IDS) {
      const more = document.createElement("details");
      const summary = document.createElement("summary");
      summary.textContent = `all ${counts.format(ids.length)}`;
      const all = document.createElement("code");
      all.textContent = ids.join(" ");
      more.append(summary, all);
      td.appendChild(more);
    }
  }

  function render(body) {
    const table = document.getElementById("reconciliation-table");
    const summary = document.getElementById("reconciliation-summary");
    const s = body.statuses;
    summary.textContent =
      `${counts.format(s.matched)} matched, ${counts.format(s.gap)} with a gap, ` +
      `${counts.format(s.not_reported)} not reported yet` +
      (body.overdue ? ` (${counts.format(body.overdue)} overdue)` : "");
    const rows = [...body.rows].sort(
      (a, b) =>
        Number(b.overdue) - Number(a.overdue) ||
        ORDER[a.status] - ORDER[b.status] ||
        b.business_date.localeCompare(a.business_date) ||
        a.store_id.localeCompare(b.store_id),
    );
    table.replaceChildren();
    const head = table.createTHead().insertRow();
    for (const title of ["Day", "Store", "Status", "Missing", "Extra", "Net gap", "Resend", "Unreported tills"]) {
      const th = document.createElement("th");
      th.scope = "col";
      th.textContent = title;
      head.appendChild(th);
    }
    const tbody = table.createTBody();
    if (!rows.length) {
      const empty = tbody.insertRow();
      cell(empty, "No sale and no end-of-day report in these days yet.").colSpan = 8;
      return;
    }
    for (const item of rows) {
      const row = tbody.insertRow();
      cell(row, item.business_date);
      cell(row, item.store_id);
      cell(row, LABELS[item.status] || item.status, `rec-${item.status}${item.overdue ? " rec-overdue" : ""}`);
      cell(row, counts.format(item.missing_events), "num");
      cell(row, counts.format(item.extra_events), "num");
      cell(row, money(item.net_gap), "num");
      idsCell(row, item.missing_event_ids);
      cell(row, item.unreported_terminals.join(", "));
    }
  }

  async function refresh() {
    try {
      const response = await fetch("/v1/reconciliations", { headers: { Accept: "application/json" } });
      if (!response.ok) throw new Error(`${response.status} ${response.statusText}`);
      render(await response.json());
    } catch (error) {
      document.getElementById("reconciliation-summary").textContent =
        `reconciliation unavailable: ${error.message}`;
    }
  }

  refresh();
  setInterval(refresh, REFRESH_MS);
})();
