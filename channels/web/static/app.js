// Steward chat page. Plain JavaScript, no framework, no build step.
// Protocol: docs/web.md. Server data is only ever inserted as text
// (textContent), never as HTML.
'use strict';
(function () {
  const KEY = 'steward.web.v1';
  const MAX_ITEMS = 300;
  // Errors after which a proposal is still waiting for a decision.
  const RETRYABLE = new Set(['cooling_period', 'wrong_danger_phrase', 'rate_limited', 'unavailable', 'internal',
    'duplicate_in_progress', 'forbidden', 'safety_ceiling', 'self_approval']);
  const LEVELS = ['Read', 'Safe write', 'Write', 'Dangerous', 'Critical'];
  const STATUS = {
    pending: 'Waiting for your decision',
    sending: 'Sending your decision…',
    confirmed: 'Confirmed',
    rejected: 'Rejected — nothing was changed',
    expired: 'Expired — nothing ran',
    done: 'Already decided — nothing ran again',
    failed: 'Confirmed — it did not succeed',
    gone: 'No longer available',
  };

  const $ = (id) => document.getElementById(id);
  const log = $('log'); // the conversation's scrolling region (role="log")
  const list = $('messages'); // its list of messages

  let S = load();
  let sock = null;
  let ready = false;
  let backoff = 0;
  let reconnectTimer = 0;
  let skew = 0; // server clock minus ours, from the ready frame
  let signingIn = false;
  const seenTurns = new Set(S.seenTurns);
  const cardEls = new Map(); // proposal id → card view
  const taskEls = new Map(); // task id → task view
  const userEls = new Map(); // client id → meta element of a sent message

  // ---------- state ----------
  function fresh(token) {
    return { token: token, me: null, items: [], pending: [], lastEvent: 0, cards: {}, seenTurns: [] };
  }
  function load() {
    try {
      const s = JSON.parse(sessionStorage.getItem(KEY) || 'null');
      if (s && typeof s.token === 'string' && s.token) {
        return Object.assign(fresh(s.token), s);
      }
    } catch (e) { /* fall through */ }
    return fresh('');
  }
  function save() {
    S.seenTurns = Array.from(seenTurns).slice(-1000);
    if (S.items.length > MAX_ITEMS) S.items = S.items.slice(-MAX_ITEMS);
    try { sessionStorage.setItem(KEY, JSON.stringify(S)); } catch (e) { /* storage full: keep going */ }
  }
  function newId(prefix) {
    const b = new Uint8Array(9);
    crypto.getRandomValues(b);
    return prefix + '-' + Date.now().toString(36) + '-' + Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  }
  const now = () => Date.now() + skew;

  // ---------- DOM helpers ----------
  function h(tag, attrs) {
    const el = document.createElement(tag);
    for (const k in attrs || {}) {
      const v = attrs[k];
      if (v == null || v === false) continue;
      if (k === 'class') el.className = v;
      else if (k === 'text') el.textContent = v;
      else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
      else el.setAttribute(k, v === true ? '' : String(v));
    }
    for (let i = 2; i < arguments.length; i++) {
      const kids = [].concat(arguments[i]);
      for (const kid of kids) {
        if (kid == null || kid === false) continue;
        el.append(kid instanceof Node ? kid : String(kid));
      }
    }
    return el;
  }
  function clock(ms) {
    return new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  }
  function duration(ms) {
    const s = Math.max(0, Math.ceil(ms / 1000));
    const hh = Math.floor(s / 3600);
    const mm = Math.floor((s % 3600) / 60);
    const ss = String(s % 60).padStart(2, '0');
    return hh > 0 ? hh + ':' + String(mm).padStart(2, '0') + ':' + ss : mm + ':' + ss;
  }
  function value(v) {
    return typeof v === 'string' ? v : JSON.stringify(v);
  }
  function scrollDown() {
    log.scrollTop = log.scrollHeight;
  }

  // ---------- views ----------
  function setConn(state, retryIn) {
    const el = $('conn');
    el.className = 'conn ' + state;
    const text = el.querySelector('.conn-text');
    if (state === 'online') text.textContent = 'Connected';
    else if (state === 'connecting') text.textContent = 'Connecting…';
    else text.textContent = retryIn ? 'Offline — retrying in ' + Math.ceil(retryIn / 1000) + ' s' : 'Offline';
  }
  function setIdentity() {
    const el = $('identity');
    el.textContent = '';
    if (!S.me) return;
    el.append(h('strong', { text: S.me.actor }), h('span', { class: 'tenant', text: ' · ' + S.me.tenant }));
    el.title = S.me.actor + ' (' + (S.me.roles || []).join(', ') + ') in ' + S.me.tenant;
  }
  function showSignin(message) {
    document.body.classList.remove('signed-in');
    $('chat-view').hidden = true;
    $('who').hidden = true;
    $('signin-view').hidden = false;
    $('signin-error').textContent = message || '';
    $('signin-button').disabled = false;
    $('signin-button').textContent = 'Sign in';
    $('token').focus();
  }
  function showChat() {
    document.body.classList.add('signed-in');
    $('signin-view').hidden = true;
    $('chat-view').hidden = false;
    $('who').hidden = false;
    setIdentity();
    renderAll();
    $('composer-input').focus();
  }
  function updateEmpty() {
    $('empty').hidden = S.items.length > 0;
  }

  // ---------- connection ----------
  function connect() {
    clearTimeout(reconnectTimer);
    if (sock || !S.token) return;
    setConn('connecting');
    const url = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/ws';
    let ws;
    try {
      ws = new WebSocket(url);
    } catch (e) {
      scheduleReconnect();
      return;
    }
    sock = ws;
    ready = false;
    ws.onopen = () => ws.send(JSON.stringify({ type: 'auth', token: S.token }));
    ws.onmessage = (ev) => {
      let f;
      try { f = JSON.parse(ev.data); } catch (e) { return; }
      if (sock === ws) onFrame(f);
    };
    ws.onclose = (ev) => {
      if (sock !== ws) return;
      sock = null;
      ready = false;
      refreshPendingMeta();
      if (ev.code === 4401 && ev.reason !== 'auth_timeout') {
        const msg = 'That token was not accepted. Check it and sign in again.';
        signOut(msg);
        return;
      }
      if (S.token) scheduleReconnect();
    };
  }
  function scheduleReconnect() {
    const base = Math.min(15000, 500 * Math.pow(2, backoff));
    backoff = Math.min(backoff + 1, 10);
    const delay = base / 2 + Math.random() * (base / 2);
    setConn('offline', delay);
    if (signingIn) $('signin-error').textContent = 'Cannot reach Steward; retrying…';
    reconnectTimer = setTimeout(connect, delay);
  }
  function sendFrame(frame) {
    if (!sock || !ready) return;
    const text = JSON.stringify(frame);
    if (S.maxFrame && new Blob([text]).size > S.maxFrame) {
      // The server would refuse it and drop the socket; say so here instead.
      onError({ type: 'error', code: 'frame_too_large', message: 'That is too long to send.', in_reply_to: frame.id });
      return;
    }
    sock.send(text);
  }
  function signOut(message) {
    const ws = sock;
    sock = null;
    ready = false;
    signingIn = false;
    clearTimeout(reconnectTimer);
    if (ws) ws.close(1000, 'signed out');
    S = fresh('');
    seenTurns.clear();
    try { sessionStorage.removeItem(KEY); } catch (e) { /* ignore */ }
    list.textContent = '';
    cardEls.clear();
    taskEls.clear();
    userEls.clear();
    showSignin(message);
  }

  function onFrame(f) {
    switch (f.type) {
      case 'ready': return onReady(f);
      case 'turn': return onTurn(f);
      case 'event': return onEvent(f);
      case 'error': return onError(f);
    }
  }
  function onReady(f) {
    ready = true;
    backoff = 0;
    const t = Date.parse(f.server_time);
    if (!isNaN(t)) skew = t - Date.now();
    if (S.me && (S.me.actor !== f.actor || S.me.tenant !== f.tenant)) {
      const token = S.token;
      S = fresh(token);
      seenTurns.clear();
    }
    S.me = { actor: f.actor, tenant: f.tenant, session: f.session, roles: f.roles };
    S.maxFrame = f.max_frame_bytes || 0;
    save();
    setConn('online');
    if (signingIn) {
      signingIn = false;
      showChat();
    } else {
      setIdentity();
    }
    sendFrame({ type: 'resume', after: S.lastEvent });
    // Re-send what had no reply yet, with the same ids: the kernel answers
    // a known id with its stored outcome, so nothing runs twice.
    for (const p of S.pending) sendFrame(p.frame);
    refreshPendingMeta();
    tick();
  }
  function inProgress(f) {
    return f.replies && f.replies.length === 1 && f.replies[0].type === 'error' && f.replies[0].code === 'duplicate_in_progress';
  }
  function onTurn(f) {
    const idx = S.pending.findIndex((p) => p.frame.id === f.in_reply_to);
    const p = idx >= 0 ? S.pending[idx] : null;
    if (p && inProgress(f) && (p.tries || 0) < 60) {
      // The first delivery is still running (we re-sent after a reconnect): ask again shortly.
      p.tries = (p.tries || 0) + 1;
      setTimeout(() => { if (S.pending.includes(p)) sendFrame(p.frame); }, 1000);
      return;
    }
    if (idx >= 0) S.pending.splice(idx, 1);
    markDelivered(f.in_reply_to);
    if (seenTurns.has(f.turn_id)) { // already shown: a re-send answered with the stored outcome
      save();
      return;
    }
    seenTurns.add(f.turn_id);
    const dec = p && p.frame.type === 'decision' ? { proposal: p.frame.proposal_id, decision: p.frame.decision } : null;
    addItem({ k: 'turn', f: f, dec: dec, at: Date.now() });
  }
  function onEvent(f) {
    if (typeof f.id !== 'number' || f.id <= S.lastEvent) return; // already shown
    S.lastEvent = f.id;
    const o = f.outbound || {};
    if (o.turn_id && seenTurns.has(o.turn_id) && o.to && o.to.channel && o.to.channel !== 'web') {
      save(); // the copy, for another channel, of a turn this page already showed
      return;
    }
    addItem({ k: 'event', f: f, at: Date.parse(f.at) || Date.now() });
    // A proposal decided elsewhere (an approver, a sweep): its card here ends too.
    const ended = { executed: 'confirmed', rejected: 'rejected', expired: 'expired', failed: 'failed' };
    for (const d of o.decided || []) if (ended[d.state]) setCard(d.proposal_id, { state: ended[d.state] });
  }
  function onError(f) {
    if (f.in_reply_to) {
      const idx = S.pending.findIndex((p) => p.frame.id === f.in_reply_to);
      if (idx >= 0) {
        const p = S.pending[idx];
        S.pending.splice(idx, 1);
        markDelivered(f.in_reply_to);
        if (p.frame.type === 'decision') {
          setCard(p.frame.proposal_id, { state: 'pending', note: f.message, code: f.code });
        }
      }
    }
    if (f.code === 'unauthenticated' || f.code === 'auth_required') return; // the close that follows signs out
    addItem({ k: 'error', f: f, at: Date.now() });
  }

  // ---------- sending ----------
  function submitMessage(text) {
    text = text.trim();
    if (!text) return;
    const frame = { type: 'message', id: newId('m'), text: text };
    S.pending.push({ frame: frame });
    addItem({ k: 'user', id: frame.id, text: text, at: Date.now() });
    sendFrame(frame);
  }
  function decide(pid, decision, grant) {
    const c = cardEls.get(pid);
    if (!c) return;
    const frame = { type: 'decision', id: newId('d'), proposal_id: pid, decision: decision };
    if (decision === 'accept' && c.phrase) frame.phrase = c.phrase.value.trim();
    if (grant) frame.grant = grant; // "allow for this session" (docs/approvals.md)
    S.pending.push({ frame: frame });
    S.cards[pid] = { state: 'sending', decision: decision };
    addItem({ k: 'decision', id: frame.id, proposal: pid, decision: decision, summary: c.card.summary, at: Date.now() });
    sendFrame(frame);
    updateCard(pid);
  }

  // ---------- rendering ----------
  function addItem(item) {
    S.items.push(item);
    save();
    renderItem(item);
    updateEmpty();
    scrollDown();
  }
  function renderAll() {
    list.textContent = '';
    cardEls.clear();
    taskEls.clear();
    userEls.clear();
    for (const item of S.items) renderItem(item);
    updateEmpty();
    tick();
    scrollDown();
  }
  function renderItem(item) {
    switch (item.k) {
      case 'user': {
        const meta = h('div', { class: 'meta' });
        const li = h('li', { class: 'msg msg-user' }, h('div', { class: 'bubble', text: item.text }), meta);
        userEls.set(item.id, { meta: meta, at: item.at });
        setUserMeta(item.id);
        list.append(li);
        return;
      }
      case 'decision': {
        const verb = item.decision === 'accept' ? 'You chose Confirm' : 'You chose Reject';
        list.append(h('li', { class: 'msg msg-decision' },
          h('span', { class: 'pill', text: verb + ': ' + (item.summary || item.proposal) })));
        return;
      }
      case 'turn':
        if (item.dec) applyDecision(item.dec, item.f.replies || []);
        return renderParts(item.f.replies || [], 'Steward', item.at, false);
      case 'event':
        return renderParts((item.f.outbound && item.f.outbound.replies) || [], 'Update', item.at, true);
      case 'error': {
        const f = item.f;
        list.append(h('li', { class: 'msg msg-bot' },
          h('div', { class: 'meta' }, h('span', { text: 'Steward' }), h('time', { text: clock(item.at) })),
          h('div', { class: 'bubble error', role: 'alert' }, f.message, h('span', { class: 'code', text: '[' + f.code + ']' }))));
        return;
      }
    }
  }
  function renderParts(parts, who, at, fromEvent) {
    const li = h('li', { class: 'msg msg-bot' + (fromEvent ? ' from-event' : '') },
      h('div', { class: 'meta' }, h('span', { text: who }), h('time', { text: clock(at) })));
    let shown = 0;
    for (const p of parts) {
      let el = null;
      switch (p.type) {
        case 'text':
          el = h('div', { class: 'bubble', text: p.text });
          break;
        case 'error':
          el = h('div', { class: 'bubble error' }, p.message, h('span', { class: 'code', text: '[' + p.code + ']' }));
          break;
        case 'proposal':
          el = renderCard(p);
          break;
        case 'progress':
          el = renderTask(p);
          break;
        case 'alert': // alert.js: one card per alert, updated in place
          el = window.StewardAlerts ? window.StewardAlerts.render(p, submitMessage) : null;
          break;
      }
      if (el) {
        li.append(el);
        shown++;
      }
    }
    // A delivery that only moved an existing progress bar adds no message.
    if (shown > 0) list.append(li);
  }

  function renderTask(p) {
    let t = taskEls.get(p.task_id);
    let fresh = false;
    if (!t) {
      fresh = true;
      const bar = h('progress', { max: '100', value: '0', 'aria-label': 'Progress of task ' + p.task_id });
      t = {
        el: h('div', { class: 'task', 'data-task': p.task_id }),
        title: h('span', { class: 'task-title' }),
        state: h('span', { class: 'task-state' }),
        bar: bar,
        msg: h('p', { class: 'task-msg' }),
      };
      t.el.append(h('div', { class: 'task-head' }, t.title, t.state), t.bar, t.msg);
      taskEls.set(p.task_id, t);
    }
    const final = p.state !== 'running';
    const pct = p.state === 'succeeded' ? 100 : Math.max(0, Math.min(100, p.percent | 0));
    t.el.dataset.state = p.state;
    t.title.textContent = '';
    t.title.append('Task ', h('code', { text: p.task_id }), ' · ', h('code', { text: p.tool }));
    t.state.textContent = p.state.replace('_', ' ') + (final ? '' : ' · ' + pct + '%');
    t.bar.value = pct;
    t.bar.setAttribute('aria-valuetext', pct + '% — ' + p.state);
    // A finished task's last progress note is stale; its result follows as a message.
    const note = p.state === 'succeeded' ? '' : (p.message || '');
    t.msg.textContent = note;
    t.msg.hidden = !note;
    return fresh ? t.el : null;
  }

  function renderCard(card) {
    const pid = card.proposal_id;
    const lvl = Math.max(0, Math.min(4, card.safety_level | 0));
    const titleId = 'card-' + pid + '-title';
    const el = h('article', { class: 'card', 'data-level': lvl, 'data-proposal': pid, 'aria-labelledby': titleId });
    const status = h('span', { class: 'status', role: 'status' });
    el.append(h('div', { class: 'card-head' },
      h('span', { class: 'badge', text: 'Level ' + lvl + ' · ' + (LEVELS[lvl] || '') }), status));
    el.append(h('h2', { id: titleId, text: card.summary || card.tool }));

    const facts = h('dl', { class: 'facts' });
    const row = (label, dd) => facts.append(h('dt', { text: label }), h('dd', null, dd));
    row('Tool', h('code', { text: card.tool }));
    row('Arguments', argsTable(card.args));
    const imp = card.impact || {};
    if (imp.summary) row('Impact', imp.summary);
    if (imp.targets && imp.targets.length) row('Targets', resList(imp.targets));
    if (imp.cascade && imp.cascade.length) row('Also affects', resList(imp.cascade));
    row('Reversible', imp.reversible ? h('span', { class: 'rev-yes', text: 'Yes' }) : h('span', { class: 'rev-no', text: 'No — this cannot be undone' }));
    if (imp.backup) row('Backup first', h('span', null, h('code', { text: imp.backup }), ' runs before it'));
    if (card.chain) row('Plan step', h('span', null, 'Step ', h('code', { text: card.step || '?' }), ' of plan ', h('code', { text: card.chain })));
    if (card.sources && card.sources.length) {
      row('Arguments from', h('ul', null, card.sources.map((s) => h('li', null,
        h('code', { text: s.param }), ' = ', h('code', { text: value(s.value) }), ' — from ', h('code', { text: s.tool }),
        ' (fact #' + s.fact + (s.ref ? ', ' + s.ref : '') + ')'))));
    }
    if (card.remaining && card.remaining.length) {
      row('Then', h('ol', null, card.remaining.map((s) => h('li', null,
        h('code', { text: s.tool }), ' ', h('span', { class: 'mono', text: compactArgs(s.args) })))));
    }
    const ap = card.approval;
    if (ap) row('Approval', 'Requested by ' + ap.requester + ' · policy ' + ap.policy + ' · asked: ' + (ap.asked || []).join(', '));
    const hash = String(card.args_hash || '');
    row('Arguments hash', h('span', { class: 'hash', title: hash, 'aria-label': 'Arguments hash, starting ' + hash.slice(0, 12) }, hash.slice(0, 12) + '…'));
    el.append(facts);

    const expiry = h('span', null);
    const timers = h('div', { class: 'timers' });
    let cooling = null;
    let coolBar = null;
    if (card.cooling_until) {
      coolBar = h('progress', { max: '100', value: '0', 'aria-hidden': 'true' });
      cooling = h('span', null);
      timers.append(h('div', { class: 'cooling', id: 'card-' + pid + '-cooling' }, cooling, coolBar));
    }
    timers.append(h('div', { class: 'expiry' }, expiry));
    el.append(timers);

    let phrase = null;
    if (card.danger_phrase_required) {
      const inputId = 'card-' + pid + '-phrase';
      const targets = imp.targets || [];
      const label = h('label', { for: inputId }, 'To confirm, type the exact name of the target');
      if (targets.length === 1) label.append(': ', h('span', { class: 'target', text: targets[0].id }));
      phrase = h('input', { id: inputId, type: 'text', maxlength: '256', autocomplete: 'off', spellcheck: 'false', autocapitalize: 'off' });
      phrase.addEventListener('input', () => tick());
      phrase.addEventListener('keydown', (e) => {
        if (e.key === 'Enter') {
          e.preventDefault();
          if (!c.confirm.disabled) decide(pid, 'accept');
        }
      });
      el.append(h('div', { class: 'phrase' }, label, phrase));
    }
    const note = h('p', { class: 'card-note', role: 'alert' });
    el.append(note);
    const confirm = h('button', {
      type: 'button', class: 'btn ' + (lvl >= 3 ? 'btn-danger' : 'btn-primary'),
      'aria-describedby': cooling ? 'card-' + pid + '-cooling' : null,
      onclick: () => decide(pid, 'accept'),
    }, 'Confirm');
    const reject = h('button', { type: 'button', class: 'btn btn-secondary', onclick: () => decide(pid, 'reject') }, 'Reject');
    // Levels 1–2 decided by their requester alone may be allowed for the session.
    const allow = lvl >= 1 && lvl <= 2 && !card.approval
      ? h('button', { type: 'button', class: 'btn btn-secondary', onclick: () => decide(pid, 'accept', 'session') }, 'Allow for this session')
      : null;
    el.append(h('div', { class: 'actions' }, confirm, allow, reject));

    const seen = Date.now() + skew;
    const coolLeft = card.cooling_until ? Date.parse(card.cooling_until) - seen : 0;
    const c = {
      el: el, card: card, status: status, note: note, confirm: confirm, reject: reject, allow: allow, phrase: phrase,
      expiry: expiry, cooling: cooling, coolBar: coolBar, coolTotal: Math.max(30000, coolLeft),
    };
    cardEls.set(pid, c);
    updateCard(pid);
    return el;
  }
  function argsTable(args) {
    if (!args || typeof args !== 'object' || Array.isArray(args)) return h('code', { text: JSON.stringify(args) });
    const keys = Object.keys(args);
    if (!keys.length) return h('span', { class: 'mono', text: '(none)' });
    return h('table', { class: 'args' }, h('tbody', null, keys.map((k) => h('tr', null, h('th', { scope: 'row', text: k }), h('td', { text: value(args[k]) })))));
  }
  function compactArgs(args) {
    try { return JSON.stringify(args); } catch (e) { return ''; }
  }
  function resList(list) {
    return h('ul', null, list.map((r) => h('li', null, (r.kind ? r.kind + ' ' : ''), h('code', { text: r.id }))));
  }

  function setCard(pid, v) {
    S.cards[pid] = v;
    save();
    updateCard(pid);
  }
  function applyDecision(dec, replies) {
    const err = replies.find((r) => r.type === 'error');
    let v;
    if (!err) v = { state: dec.decision === 'accept' ? 'confirmed' : 'rejected' };
    else if (RETRYABLE.has(err.code)) v = { state: 'pending', note: err.message, code: err.code };
    else if (err.code === 'already_executed') v = { state: 'done' };
    else if (err.code === 'proposal_rejected') v = { state: 'rejected' };
    else if (err.code === 'proposal_expired') v = { state: 'expired' };
    else if (err.code === 'proposal_not_found' || err.code === 'not_your_proposal' || err.code === 'not_an_approver') v = { state: 'gone', note: err.message, code: err.code };
    else v = { state: 'failed', note: err.message, code: err.code };
    setCard(dec.proposal, v);
  }
  function updateCard(pid) {
    const c = cardEls.get(pid);
    if (!c) return;
    const v = S.cards[pid] || { state: 'pending' };
    const settled = v.state !== 'pending' && v.state !== 'sending';
    c.el.className = 'card state-' + v.state + (settled ? ' settled' : '');
    c.status.textContent = STATUS[v.state] || v.state;
    c.note.textContent = '';
    if (v.note) c.note.append(v.note, h('span', { class: 'code', text: '[' + v.code + ']' }));
    if (c.phrase) c.phrase.disabled = settled;
    tickCard(pid, c);
  }
  function tickCard(pid, c) {
    const v = S.cards[pid] || { state: 'pending' };
    if (v.state !== 'pending' && v.state !== 'sending') return;
    const t = now();
    const exp = Date.parse(c.card.expires_at);
    if (!isNaN(exp) && t >= exp) {
      setCard(pid, { state: 'expired' });
      return;
    }
    c.expiry.textContent = '';
    c.expiry.append('Expires in ', h('strong', { text: duration(exp - t) }), ' (at ' + clock(exp - skew) + ')');
    let cooling = false;
    if (c.cooling) {
      const left = Date.parse(c.card.cooling_until) - t;
      cooling = left > 0;
      c.cooling.textContent = '';
      if (cooling) {
        c.cooling.append('Cooling period: you can confirm in ', h('strong', { text: duration(left) }));
        c.coolBar.hidden = false;
        c.coolBar.value = Math.round(100 * (1 - left / c.coolTotal));
      } else {
        c.cooling.append('Cooling period over: you can confirm now.');
        c.coolBar.hidden = true;
      }
    }
    const needPhrase = c.phrase && !c.phrase.value.trim();
    // The server enforces all of this again; the page only avoids futile clicks.
    c.confirm.disabled = v.state === 'sending' || cooling || needPhrase;
    c.reject.disabled = v.state === 'sending';
    if (c.allow) c.allow.disabled = c.confirm.disabled;
  }
  function tick() {
    for (const [pid, c] of cardEls) tickCard(pid, c);
  }

  function setUserMeta(id) {
    const u = userEls.get(id);
    if (!u) return;
    const waiting = S.pending.some((p) => p.frame.id === id);
    u.meta.textContent = '';
    u.meta.append(h('time', { text: clock(u.at) }));
    if (waiting) u.meta.append(h('span', { class: 'sending', text: ready ? 'Sending…' : 'Waiting for connection…' }));
  }
  function markDelivered(id) {
    save();
    setUserMeta(id);
  }
  function refreshPendingMeta() {
    for (const p of S.pending) setUserMeta(p.frame.id);
  }

  // ---------- wiring ----------
  $('signin-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const token = $('token').value.trim();
    if (!token) {
      $('signin-error').textContent = 'Enter your access token.';
      $('token').focus();
      return;
    }
    $('token').value = '';
    $('signin-error').textContent = '';
    $('signin-button').disabled = true;
    $('signin-button').textContent = 'Signing in…';
    S = fresh(token);
    seenTurns.clear();
    save();
    signingIn = true;
    if (sock) { const ws = sock; sock = null; ws.close(); }
    backoff = 0;
    connect();
  });
  $('signout').addEventListener('click', () => signOut(''));
  const input = $('composer-input');
  function autosize() {
    input.style.height = 'auto';
    input.style.height = Math.min(input.scrollHeight + 2, window.innerHeight * 0.4) + 'px';
    const left = 4000 - input.value.length;
    $('composer-count').textContent = left < 500 ? left + ' characters left' : '';
  }
  input.addEventListener('input', autosize);
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      $('composer').requestSubmit();
    }
  });
  $('composer').addEventListener('submit', (e) => {
    e.preventDefault();
    const text = input.value;
    if (!text.trim()) return;
    input.value = '';
    autosize();
    submitMessage(text);
    input.focus();
  });
  for (const chip of document.querySelectorAll('[data-suggest]')) {
    chip.addEventListener('click', () => {
      input.value = chip.dataset.suggest;
      autosize();
      input.focus();
    });
  }
  window.addEventListener('online', () => { if (!sock && S.token) { backoff = 0; connect(); } });
  setInterval(tick, 1000);

  if (S.token) {
    showChat();
    connect();
  } else {
    showSignin('');
  }
})();
