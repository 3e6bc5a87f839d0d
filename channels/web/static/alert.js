// Alert cards on the chat page: one card per alert, updated in place by
// every later event about it (a repeat, an ack, a snooze, a resolution),
// with a small chart of the recorded observations it rests on and buttons
// that send the typed acts ("ack al_…").
(function () {
  'use strict';
  const cards = new Map(); // alert id → card view
  const SVG = 'http://www.w3.org/2000/svg';

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    return e;
  }

  // chart draws the series as a polyline with its last point marked; the
  // values come from the card's ledger facts only.
  function chart(series, unit, title) {
    const w = 240, hgt = 60, pad = 4;
    const svg = document.createElementNS(SVG, 'svg');
    svg.setAttribute('viewBox', '0 0 ' + w + ' ' + hgt);
    svg.setAttribute('class', 'alert-chart');
    svg.setAttribute('role', 'img');
    const last = series[series.length - 1];
    svg.setAttribute('aria-label', title + ': ' + series.length + ' observations, last ' + last.value + (unit || ''));
    let lo = Infinity, hi = -Infinity;
    for (const p of series) { lo = Math.min(lo, p.value); hi = Math.max(hi, p.value); }
    if (hi === lo) { hi += 1; lo -= 1; }
    const x = (i) => pad + (series.length === 1 ? (w - 2 * pad) / 2 : i * (w - 2 * pad) / (series.length - 1));
    const y = (v) => hgt - pad - (v - lo) * (hgt - 2 * pad) / (hi - lo);
    const line = document.createElementNS(SVG, 'polyline');
    line.setAttribute('points', series.map((p, i) => x(i).toFixed(1) + ',' + y(p.value).toFixed(1)).join(' '));
    line.setAttribute('fill', 'none');
    line.setAttribute('stroke', 'currentColor');
    line.setAttribute('stroke-width', '2');
    const dot = document.createElementNS(SVG, 'circle');
    dot.setAttribute('cx', x(series.length - 1).toFixed(1));
    dot.setAttribute('cy', y(last.value).toFixed(1));
    dot.setAttribute('r', '3');
    dot.setAttribute('fill', 'currentColor');
    svg.append(line, dot);
    return svg;
  }

  function stateLine(c) {
    if (c.state === 'acknowledged') return 'acknowledged by ' + c.acked_by;
    if (c.state === 'snoozed' && c.snoozed_until) return 'snoozed until ' + new Date(c.snoozed_until).toLocaleTimeString();
    return c.state;
  }

  const acts = {
    firing: [['ack', 'Ack'], ['snooze', 'Snooze 30m'], ['resolve', 'Resolve'], ['escalate', 'Escalate']],
    snoozed: [['ack', 'Ack'], ['resolve', 'Resolve']],
    acknowledged: [['unack', 'Unack'], ['resolve', 'Resolve']],
  };

  function fill(v, c, send) {
    v.el.dataset.state = c.state;
    v.el.dataset.severity = c.severity;
    v.title.textContent = c.title;
    v.badge.textContent = c.severity;
    v.meta.textContent = c.alert_id + ' · ' + stateLine(c) + ' · fired ' + c.count + '× · since ' + new Date(c.since).toLocaleString() + (c.resource ? ' · ' + c.resource : '');
    v.summary.textContent = c.summary || '';
    v.summary.hidden = !c.summary;
    v.chart.replaceChildren();
    if (c.series && c.series.length) v.chart.append(chart(c.series, c.unit, c.title));
    v.buttons.replaceChildren();
    for (const [act, label] of acts[c.state] || []) {
      const b = el('button', 'btn', label);
      b.type = 'button';
      b.addEventListener('click', () => send(act + ' ' + c.alert_id + (act === 'snooze' ? ' 30m' : '')));
      v.buttons.append(b);
    }
  }

  // render returns the card's element the first time an alert is seen,
  // and null after (the card shown is updated in place).
  function render(c, send) {
    let v = cards.get(c.alert_id);
    const first = !v;
    if (first) {
      v = { el: el('article', 'alert-card'), badge: el('span', 'alert-sev'), title: el('h2', 'alert-title'),
        meta: el('p', 'alert-meta'), summary: el('p', 'alert-summary'), chart: el('div', 'alert-chart-box'), buttons: el('div', 'alert-acts') };
      v.el.dataset.alert = c.alert_id;
      v.el.append(el('div', 'alert-head'), v.meta, v.summary, v.chart, v.buttons);
      v.el.firstChild.append(v.badge, v.title);
      cards.set(c.alert_id, v);
    }
    fill(v, c, send);
    return first ? v.el : null;
  }

  window.StewardAlerts = { render: render };
})();
