/* Triage dashboard: draw the charts from the numbers embedded in the page, then keep every panel
   fresh by polling /dashboard/data (with the page's own query string and an ETag, so an unchanged
   dashboard costs a 304). No inline scripts or styles: the page's CSP allows only our own files. */
(function () {
  "use strict";

  const dataElement = document.getElementById("dashboard-data");
  const configElement = document.getElementById("dashboard-config");
  if (!dataElement || !configElement || typeof Chart === "undefined") {
    return;
  }
  const config = JSON.parse(configElement.textContent);
  let data = JSON.parse(dataElement.textContent);
  let etag = config.etag;
  let polling = null;
  let inFlight = false;
  let stopped = false;

  const STATUSES = Object.keys(config.statusLabels);
  const PRIORITIES = Object.keys(config.priorityLabels);
  const MAX_ASSIGNEE_BARS = 25;
  const css = getComputedStyle(document.documentElement);
  const colour = (name) => css.getPropertyValue("--" + name).trim();
  const reducedMotion = window.matchMedia("(prefers-reduced-motion: reduce)").matches;

  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.color = colour("muted") || "#52606d";
  Chart.defaults.animation = reducedMotion ? false : { duration: 250 };
  Chart.defaults.maintainAspectRatio = false;

  /* ---------- small helpers ---------- */

  function element(tag, options, children) {
    const node = document.createElement(tag);
    Object.entries(options || {}).forEach(([key, value]) => {
      if (key === "text") {
        node.textContent = value;
      } else if (key === "className") {
        node.className = value;
      } else {
        node.setAttribute(key, value);
      }
    });
    (children || []).forEach((child) => node.append(child));
    return node;
  }

  function parseTime(iso) {
    // Python writes microseconds; Date.parse is only guaranteed to read milliseconds.
    return Date.parse(iso.replace(/(\.\d{3})\d+/, "$1"));
  }

  function shortAge(iso, now) {
    // The same words as the server's `age` filter (dashboard/templatetags/dashboard_extras.py).
    const minutes = Math.floor(Math.max(now - parseTime(iso), 0) / 60000);
    if (minutes < 1) return "just now";
    if (minutes < 60) return minutes + " min";
    const hours = Math.floor(minutes / 60);
    return hours < 48 ? hours + " h" : Math.floor(hours / 24) + " d";
  }

  function days(value) {
    if (value === null || value === undefined) return "—";
    return value === 1 ? "1 day" : value + " days";
  }

  function dayLabel(iso) {
    return new Date(iso + "T00:00:00Z").toLocaleDateString(undefined, {
      month: "short", day: "numeric", timeZone: "UTC",
    });
  }

  function clock(date) {
    return date.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit" });
  }

  function dot(kind, value) {
    return element("span", { className: "dot " + kind + "-" + value, "aria-hidden": "true" });
  }

  function assigneeEntries(byAssignee) {
    return Object.entries(byAssignee).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  }

  /* ---------- charts ---------- */

  function countAxis() {
    return { beginAtZero: true, ticks: { precision: 0 } };
  }

  function statusSeries(current) {
    return {
      labels: STATUSES.map((value) => config.statusLabels[value]),
      values: STATUSES.map((value) => current.by_status[value] || 0),
    };
  }

  function prioritySeries(current) {
    return {
      labels: PRIORITIES.map((value) => config.priorityLabels[value]),
      values: PRIORITIES.map((value) => current.by_priority[value] || 0),
    };
  }

  function daySeries(current) {
    return {
      labels: current.created_per_day.map((point) => dayLabel(point.date)),
      values: current.created_per_day.map((point) => point.count),
    };
  }

  /* The expected band (high, then low filled up to it) and the anomalous days, marked on the count line. */
  function bandOf(current) {
    const band = current.anomalies || [];
    const radius = current.created_per_day.length > 60 ? 0 : 3;
    return {
      high: band.map((point) => point.high),
      low: band.map((point) => point.low),
      pointColours: band.map((point) => (point.anomalous ? colour("anomaly") : colour("per-day"))),
      pointRadii: band.map((point) => (point.anomalous ? 6 : radius)),
    };
  }

  function bandDataset(label, values, fill) {
    return {
      label: label, data: values, fill: fill, pointRadius: 0, borderWidth: 0, tension: 0.2,
      backgroundColor: colour("band"), borderColor: colour("band"),
    };
  }

  function assigneeSeries(current) {
    const entries = assigneeEntries(current.by_assignee);
    const shown = entries.slice(0, MAX_ASSIGNEE_BARS);
    const rest = entries.slice(MAX_ASSIGNEE_BARS);
    const labels = shown.map(([name]) => name || "Unassigned");
    const values = shown.map(([, count]) => count);
    const colours = shown.map(([name]) => colour(name ? "assignee" : "unassigned"));
    if (rest.length) {
      labels.push("Others (" + rest.length + ")");
      values.push(rest.reduce((sum, [, count]) => sum + count, 0));
      colours.push(colour("others"));
    }
    return { labels: labels, values: values, colours: colours };
  }

  const charts = {
    status: new Chart(document.getElementById("chart-status"), {
      type: "bar",
      data: {
        labels: statusSeries(data).labels,
        datasets: [{
          label: "Tickets",
          data: statusSeries(data).values,
          backgroundColor: STATUSES.map((value) => colour("status-" + value)),
        }],
      },
      options: { plugins: { legend: { display: false } }, scales: { y: countAxis() } },
    }),
    days: new Chart(document.getElementById("chart-days"), {
      type: "line",
      data: {
        labels: daySeries(data).labels,
        datasets: [{
          label: "Tickets created",
          data: daySeries(data).values,
          borderColor: colour("per-day"),
          backgroundColor: colour("per-day"),
          tension: 0.2,
          pointRadius: bandOf(data).pointRadii,
          pointBackgroundColor: bandOf(data).pointColours,
          pointBorderColor: bandOf(data).pointColours,
        },
        bandDataset("Expected, high", bandOf(data).high, false),
        bandDataset("Expected, low", bandOf(data).low, "-1")],
      },
      options: {
        plugins: {
          legend: { display: false },
          tooltip: { filter: (item) => item.datasetIndex === 0 || item.raw !== null },
        },
        scales: { y: countAxis(), x: { ticks: { autoSkip: true, maxRotation: 0 } } },
      },
    }),
    priority: new Chart(document.getElementById("chart-priority"), {
      type: "pie",
      data: {
        labels: prioritySeries(data).labels,
        datasets: [{
          label: "Tickets",
          data: prioritySeries(data).values,
          backgroundColor: PRIORITIES.map((value) => colour("priority-" + value)),
          // No white seam where an empty slice would be.
          borderWidth: (context) => (context.raw ? 2 : 0),
        }],
      },
      options: { plugins: { legend: { position: "bottom" } } },
    }),
    assignee: new Chart(document.getElementById("chart-assignee"), {
      type: "bar",
      data: { labels: [], datasets: [{ label: "Tickets", data: [], backgroundColor: [] }] },
      options: {
        indexAxis: "y",
        plugins: { legend: { display: false } },
        scales: { x: countAxis(), y: { ticks: { autoSkip: false } } },
      },
    }),
  };

  function updateCharts(current) {
    const setSeries = (chart, series) => {
      chart.data.labels = series.labels;
      chart.data.datasets[0].data = series.values;
      if (series.colours) chart.data.datasets[0].backgroundColor = series.colours;
      chart.canvas.parentElement.classList.toggle("empty", !series.values.some((value) => value > 0));
      chart.update();
    };
    setSeries(charts.status, statusSeries(current));
    const band = bandOf(current);
    Object.assign(charts.days.data.datasets[0], {
      pointRadius: band.pointRadii, pointBackgroundColor: band.pointColours, pointBorderColor: band.pointColours,
    });
    charts.days.data.datasets[1].data = band.high;
    charts.days.data.datasets[2].data = band.low;
    setSeries(charts.days, daySeries(current));
    setSeries(charts.priority, prioritySeries(current));
    const assignees = assigneeSeries(current);
    // One bar needs about 1.6rem; the box grows with the assignees (CSSOM, allowed by the CSP).
    document.getElementById("assignee-box").style.height = Math.max(12, 3 + assignees.labels.length * 1.6) + "rem";
    setSeries(charts.assignee, assignees);
  }

  /* ---------- the rest of the page ---------- */

  function fillTable(name, rows) {
    const body = document.querySelector('[data-table="' + name + '"]');
    body.replaceChildren(...rows.map(([label, count]) =>
      element("tr", {}, [element("th", { scope: "row", text: label }), element("td", { text: String(count) })])));
  }

  function updateTables(current) {
    fillTable("by_status", STATUSES.map((value) => [config.statusLabels[value], current.by_status[value] || 0]));
    fillTable("by_priority", PRIORITIES.map((value) => [config.priorityLabels[value], current.by_priority[value] || 0]));
    fillTable("by_assignee", assigneeEntries(current.by_assignee).map(([name, count]) => [name || "Unassigned", count]));
    const unusual = new Set((current.anomalies || []).filter((point) => point.anomalous).map((point) => point.date));
    fillTable("created_per_day", current.created_per_day.map((point) =>
      [point.date, point.count + (unusual.has(point.date) ? " (unusual)" : "")]));
    const range = document.querySelector("[data-range]");
    range.textContent = current.range.first + " to " + current.range.last;
  }

  function updateHeadline(current) {
    document.querySelectorAll("[data-notifications]").forEach((node) => {
      node.textContent = String((current.notifications || {})[node.dataset.notifications] ?? 0);
    });
    document.querySelectorAll("[data-headline]").forEach((node) => {
      const value = current.headline[node.dataset.headline];
      node.textContent = node.dataset.headline === "median_unresolved_age_days" ? days(value) : String(value);
    });
  }

  function updateFeed(current, previous) {
    const known = new Set(previous ? previous.latest.map((ticket) => ticket.id) : []);
    const body = document.getElementById("feed-rows");
    const now = Date.now();
    if (!current.latest.length) {
      body.replaceChildren(element("tr", {}, [
        element("td", { colspan: "6", className: "muted", text: "No tickets match these filters." })]));
      return;
    }
    body.replaceChildren(...current.latest.map((ticket) => element("tr", {
      className: previous && !known.has(ticket.id) ? "fresh" : "",
    }, [
      element("td", { className: "num", "data-label": "ID", text: "#" + ticket.id }),
      element("td", { className: "title", "data-label": "Title", text: ticket.title }),
      element("td", { "data-label": "Status" }, [element("span", { className: "badge" }, [
        dot("status", ticket.status), config.statusLabels[ticket.status] || ticket.status])]),
      element("td", { "data-label": "Priority" }, [element("span", { className: "badge" }, [
        dot("priority", ticket.priority), config.priorityLabels[ticket.priority] || ticket.priority])]),
      element("td", {
        className: ticket.assigned_to ? "" : "muted", "data-label": "Assignee", text: ticket.assigned_to || "Unassigned",
      }),
      element("td", { "data-label": "Age" }, [
        element("time", { datetime: ticket.created_at, text: shortAge(ticket.created_at, now) })]),
    ])));
  }

  function refreshAges() {
    const now = Date.now();
    document.querySelectorAll("#feed-rows time[datetime]").forEach((node) => {
      node.textContent = shortAge(node.getAttribute("datetime"), now);
    });
  }

  function updateRegression(run) {
    const box = document.getElementById("regression");
    if (!run) {
      box.replaceChildren(element("p", { className: "muted" }, [
        "No regression run yet: ", element("code", { text: "python manage.py run_regression" }), " records one."]));
      return;
    }
    const outcome = element("p", { className: "run-outcome " + (run.passed ? "ok" : "failed") }, [
      element("strong", { text: run.passed ? "Passed" : run.outcome === "error" ? "Could not run every check" : "Failed" }),
      ", ran ",
      element("time", { datetime: run.ran_at, text: new Date(parseTime(run.ran_at)).toLocaleString() }),
    ]);
    const checks = element("ul", { className: "checks" }, run.checks.map((check) => element("li", {
      className: check.passed ? "ok" : "failed",
    }, [
      element("span", { className: "mark", "aria-hidden": "true", text: check.passed ? "✓" : "✗" }),
      element("code", { text: check.name }),
      element("span", {
        text: check.passed ? "passed"
          : check.outcome === "error" ? "could not run (see the run in admin)"
          : "failed, " + check.violations + " violation" + (check.violations === 1 ? "" : "s"),
      }),
    ])));
    box.replaceChildren(outcome, checks);
  }

  function render(current, previous) {
    updateCharts(current);
    updateTables(current);
    updateHeadline(current);
    updateFeed(current, previous);
    updateRegression(current.regression);
  }

  /* ---------- live refresh ---------- */

  const statusLine = document.getElementById("refresh-status");

  function showStatus(parts, stale) {
    statusLine.replaceChildren(...parts);
    statusLine.classList.toggle("stale", Boolean(stale));
  }

  function schedule() {
    if (!stopped) polling = window.setTimeout(refresh, config.refreshSeconds * 1000);
  }

  async function refresh() {
    polling = null;
    if (inFlight || stopped || document.hidden) return; // visibilitychange starts it again
    inFlight = true;
    try {
      const response = await fetch(config.dataUrl, {
        headers: { Accept: "application/json", "If-None-Match": etag },
        credentials: "same-origin",
        cache: "no-store",
      });
      if (response.status === 200) {
        const previous = data;
        data = await response.json();
        etag = response.headers.get("ETag") || etag;
        render(data, previous);
        const now = new Date();
        showStatus(["Numbers as of ", element("time", { datetime: now.toISOString(), text: clock(now) }), "."]);
      } else if (response.status === 304) {
        statusLine.title = "Checked at " + clock(new Date()) + ": nothing changed.";
        statusLine.classList.remove("stale");
      } else if (response.status === 401 || response.status === 403) {
        stopped = true;
        showStatus(["Your session has ended; these numbers are no longer updated. ",
          element("a", { href: config.loginUrl, text: "Log in again" }), "."], true);
      } else {
        showStatus(["The server answered " + response.status + " at " + clock(new Date()) + "; retrying."], true);
      }
    } catch (error) {
      showStatus(["Could not reach the server at " + clock(new Date()) + "; retrying."], true);
    } finally {
      inFlight = false;
    }
    refreshAges();
    schedule();
  }

  document.addEventListener("visibilitychange", () => {
    if (!document.hidden && polling === null && !inFlight) refresh();
  });

  /* ---------- filters: share clean URLs (empty fields left out) ---------- */

  const form = document.getElementById("filters");
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const query = new URLSearchParams();
    new FormData(form).forEach((value, name) => {
      if (String(value).trim() !== "") query.append(name, value);
    });
    const search = query.toString();
    window.location.assign(form.action + (search ? "?" + search : ""));
  });

  render(data, null);
  schedule();
})();
