// The roc console's single page: hash routes (#/objects, #/object/<id>, #/status, #/logs,
// #/history?path=P&range=S), one EventSource on /api/events for everything live, fetch for the rest.
// Plain JS with no library and no build step, so it ships with roc and works offline.
(function () {
  'use strict';

  const LOG_LIMIT = 2000;            // records kept (and shown) by the logs page
  const PROPERTY_POLL_MS = 1000;     // live property values while an object's page is open
  const RECONNECT_MS = 2000;         // the event stream after the browser gave up on it
  const LEVEL_RANK = { trace: 0, debug: 1, info: 2, warning: 3, warn: 3, error: 4, err: 4, critical: 5 };

  // Measurement hooks for the browser tests and bench/bench_web.py.
  const hooks = window.rocConsole = {
    statusEvents: 0,        // status events received
    leavesApplied: 0,       // status leaves written to the page
    flushes: 0,             // animation frames that applied status updates
    flushMs: 0,             // script time those took, in total
    logRecords: 0,          // log records received
    lastPlot: null,         // {ms: draw time, points, columns, requestToDrawMs}
    plots: 0,
    connected: false,
    measureFrames: measureFrames,
  };

  // --- small helpers -------------------------------------------------------------------------

  const $ = (id) => document.getElementById(id);

  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    if (attrs) {
      for (const [name, value] of Object.entries(attrs)) {
        if (value === undefined || value === null || value === false) continue;
        if (name === 'text') node.textContent = value;
        else if (name === 'className') node.className = value;
        else if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
        else node.setAttribute(name, value === true ? '' : value);
      }
    }
    for (const child of children || []) {
      if (child !== null && child !== undefined) node.append(child);
    }
    return node;
  }

  function apiError(body, status) {
    const message = body && body.error && body.error.message ? body.error.message : 'HTTP ' + status;
    const error = new Error(message);
    error.status = status;
    error.body = body;
    return error;
  }

  // Every request carries X-Roc-Console: the server refuses writes without it (CSRF guard).
  async function api(method, url, body) {
    const init = { method, headers: { 'X-Roc-Console': '1' }, credentials: 'same-origin' };
    if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    const response = await fetch(url, init);
    let json = null;
    try { json = await response.json(); } catch (e) { json = null; }
    if (!response.ok) throw apiError(json, response.status);
    return json;
  }

  function showError(node, error) {
    if (!error) { node.hidden = true; node.textContent = ''; return; }
    node.hidden = false;
    node.textContent = error.message || String(error);
  }

  function isPlainObject(v) { return v !== null && typeof v === 'object' && !Array.isArray(v); }
  function isShownBig(v) { return isPlainObject(v) && ('$summary' in v || '$image' in v); }

  function formatNumber(v) {
    if (Number.isInteger(v)) return String(v);
    if (!Number.isFinite(v)) return String(v);
    const a = Math.abs(v);
    if (a !== 0 && (a >= 1e9 || a < 1e-4)) return v.toExponential(4);
    return String(Number(v.toPrecision(7)));
  }

  function summaryText(s) {
    if (!s) return '';
    const shape = Array.isArray(s.shape) ? s.shape.join('×') : '?';
    const parts = [(s.dtype || '') + '[' + shape + ']'];
    for (const k of ['min', 'max', 'mean']) if (typeof s[k] === 'number') parts.push(k + ' ' + formatNumber(s[k]));
    return parts.join('  ');
  }

  // A one-line text for a value in a table cell or the status tree.
  function shortText(v) {
    if (typeof v === 'number') return formatNumber(v);
    if (typeof v === 'string') return v;
    if (v === null || v === undefined) return 'null';
    if (typeof v === 'boolean') return String(v);
    if (isShownBig(v)) return summaryText(v.$summary);
    const text = JSON.stringify(v);
    return text.length > 160 ? text.slice(0, 157) + '…' : text;
  }

  // A value as an element: an image or a summary line for big values, never thousands of numbers.
  function shownValue(v) {
    if (isShownBig(v)) {
      const box = el('div', { className: 'shown-big' });
      // Only the console's own images: a result that merely looks shown must not load anything else.
      if (typeof v.$image === 'string' && /^\/api\/images\/\d+\.png$/.test(v.$image)) {
        box.append(el('img', { className: 'shown-image', src: v.$image, alt: 'image', 'data-image': true }));
      }
      box.append(el('div', { className: 'summary', 'data-summary': true, text: summaryText(v.$summary) }));
      return box;
    }
    if (typeof v === 'string') return document.createTextNode(JSON.stringify(v));
    const text = v === undefined ? 'done' : JSON.stringify(v, null, 2);
    return document.createTextNode(text.length > 20000 ? text.slice(0, 20000) + '\n…' : text);
  }

  function ageText(seconds) {
    seconds = Math.max(0, Math.floor(seconds));
    if (seconds < 120) return seconds + ' s';
    if (seconds < 7200) return Math.floor(seconds / 60) + ' min';
    if (seconds < 172800) return Math.floor(seconds / 3600) + ' h';
    return Math.floor(seconds / 86400) + ' d';
  }

  // --- routing ---------------------------------------------------------------------------------

  const pages = {};  // name → {enter(params), leave()}
  let current = null;

  function parseHash() {
    const hash = location.hash.replace(/^#\/?/, '');
    const [path, query] = hash.split('?');
    const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
    const params = new URLSearchParams(query || '');
    if (parts[0] === 'object' && parts[1]) return { page: 'object', id: parts[1], params };
    if (pages[parts[0]]) return { page: parts[0], params };
    return { page: 'objects', params };
  }

  function route() {
    const target = parseHash();
    if (current && current.leave) current.leave();
    for (const section of document.querySelectorAll('section.page')) {
      section.hidden = section.dataset.page !== target.page;
    }
    for (const link of document.querySelectorAll('#nav a')) {
      link.classList.toggle('active', link.dataset.nav === target.page ||
        (target.page === 'object' && link.dataset.nav === 'objects'));
    }
    document.body.dataset.page = target.page;
    current = pages[target.page];
    current.enter(target);
  }

  // --- the event stream ----------------------------------------------------------------------

  const listeners = { status: [], presence: [], logs: [], dropped: [], reset: [], open: [] };
  let source = null;

  function setConnection(state) {
    const node = $('connection');
    node.dataset.state = state;
    node.textContent = state === 'open' ? 'live' : state;
    hooks.connected = state === 'open';
  }

  function connect() {
    setConnection('connecting');
    source = new EventSource('/api/events', { withCredentials: true });
    source.onopen = () => {
      setConnection('open');
      for (const f of listeners.open) f();
    };
    source.onerror = () => {
      // CONNECTING: the browser retries by itself. CLOSED: it gave up (e.g. an HTTP error), so
      // start a fresh stream a little later.
      if (source.readyState === EventSource.CLOSED) {
        setConnection('closed');
        source.close();
        setTimeout(connect, RECONNECT_MS);
      } else {
        setConnection('connecting');
      }
    };
    for (const name of Object.keys(listeners)) {
      if (name === 'open') continue;
      source.addEventListener(name, (event) => {
        let data;
        try { data = JSON.parse(event.data); } catch (e) { return; }
        for (const f of listeners[name]) f(data);
      });
    }
  }

  // --- status: one model, applied to the DOM once per animation frame ------------------------

  // The tree's DOM nodes by dotted path; a leaf keeps the one Text node that shows its value, so an
  // update changes that node's text and nothing else.
  const status = {
    nodes: new Map(),    // path → {path, key, el, row, children (element), kids: Map, leaf, text, value}
    pending: [],         // status events not yet applied
    sources: new Map(),  // path → {stale, age, at (performance.now() when age was measured)}
    frameRequested: false,
    snapshotLoading: false,
    leafListeners: [],   // f(path, value, t) for every leaf a status event sets (the history page's live tail)
  };

  function statusRoot() {
    let root = status.nodes.get('');
    if (!root) {
      root = { path: '', key: '', el: $('status-tree'), children: $('status-tree'), kids: new Map(), leaf: false };
      status.nodes.set('', root);
    }
    return root;
  }

  function joinPath(a, b) { return a ? a + '.' + b : b; }

  function removeNode(path) {
    const node = status.nodes.get(path);
    if (!node || path === '') return;
    for (const key of Array.from(node.kids ? node.kids.keys() : [])) removeNode(joinPath(path, key));
    node.el.remove();
    status.nodes.delete(path);
    const parentPath = path.includes('.') ? path.slice(0, path.lastIndexOf('.')) : '';
    const parent = status.nodes.get(parentPath);
    if (parent && parent.kids) parent.kids.delete(node.key);
  }

  function makeNode(path, leaf) {
    const dot = path.lastIndexOf('.');
    const parentPath = dot < 0 ? '' : path.slice(0, dot);
    const key = dot < 0 ? path : path.slice(dot + 1);
    const parent = ensureBranch(parentPath);
    const node = { path, key, leaf, kids: leaf ? null : new Map() };
    node.el = el('div', { className: leaf ? 'node leaf' : 'node', 'data-path': path });
    node.row = el('div', { className: 'row' }, [el('span', { className: 'key', text: key })]);
    node.el.append(node.row);
    if (leaf) {
      node.text = document.createTextNode('');
      node.valueEl = el('span', { className: 'value', 'data-value': true }, [node.text]);
      node.row.append(node.valueEl);
    } else {
      node.children = el('div', { className: 'children' });
      node.el.append(node.children);
    }
    // Keep siblings sorted by key: the tree reads like `roc status`.
    let before = null;
    for (const [otherKey, other] of parent.kids) {
      if (otherKey > key && (!before || otherKey < before.key)) before = other;
    }
    parent.children.insertBefore(node.el, before ? before.el : null);
    parent.kids.set(key, node);
    status.nodes.set(path, node);
    const src = status.sources.get(path);
    if (src) showStale(node, src);
    return node;
  }

  function ensureBranch(path) {
    if (path === '') return statusRoot();
    const node = status.nodes.get(path);
    if (node && !node.leaf) return node;
    if (node) removeNode(path);
    return makeNode(path, false);
  }

  // `t`: when the value was emitted (UNIX seconds), for a leaf a live status event sets; a snapshot's
  // leaves have none and extend no plot (the archive already has them).
  function setLeaf(path, value, t) {
    let node = status.nodes.get(path);
    if (node && !node.leaf) { removeNode(path); node = null; }
    if (!node) node = makeNode(path, true);
    const text = shortText(value);
    if (node.text.nodeValue !== text) node.text.nodeValue = text;
    const numeric = typeof value === 'number';
    if (node.numeric !== numeric) {
      node.numeric = numeric;
      node.valueEl.classList.toggle('number', numeric);
      node.valueEl.title = numeric ? 'plot its history' : '';
    }
    node.value = value;
    hooks.leavesApplied++;
    if (t !== undefined) for (const f of status.leafListeners) f(path, value, t);
  }

  // A status value at `path`: objects merge (as status updates do, null deletes), anything else is a leaf.
  function applySet(path, value, t) {
    if (isPlainObject(value) && !isShownBig(value)) {
      if (path !== '') ensureBranch(path);
      for (const [key, member] of Object.entries(value)) {
        const below = joinPath(path, key);
        if (member === null) removeNode(below);
        else applySet(below, member, t);
      }
    } else if (path !== '') {
      setLeaf(path, value, t);
    }
  }

  function showStale(node, src) {
    const stale = !!src.stale;
    node.el.classList.toggle('stale', stale);
    if (stale) node.el.dataset.stale = 'true'; else delete node.el.dataset.stale;
    if (stale && !node.badge) {
      node.badgeText = document.createTextNode('');
      node.badge = el('span', { className: 'badge', 'data-stale-age': true }, [node.badgeText]);
      node.row.append(node.badge);
    }
    if (!stale && node.badge) { node.badge.remove(); node.badge = null; node.badgeText = null; }
    if (stale) updateBadge(node, src);
  }

  function updateBadge(node, src) {
    const text = 'stale ' + ageText(src.age + (performance.now() - src.at) / 1000);
    if (node.badgeText.nodeValue !== text) node.badgeText.nodeValue = text;
  }

  function applyStale(path, info) {
    const src = { stale: !!info.stale, age: Number(info.age) || 0, at: performance.now() };
    status.sources.set(path, src);
    let node = status.nodes.get(path);
    if (!node && src.stale) node = ensureBranch(path);
    if (node) showStale(node, src);
  }

  function applyStatusEvent(data) {
    const times = data.times || {};
    const received = Date.now() / 1000;
    if (data.set) for (const [path, value] of Object.entries(data.set)) applySet(path, value, times[path] ?? received);
    if (data.deleted) for (const path of data.deleted) removeNode(path);
    if (data.stale) for (const [path, info] of Object.entries(data.stale)) applyStale(path, info);
  }

  function flushStatus() {
    status.frameRequested = false;
    if (status.snapshotLoading) return;
    const started = performance.now();
    const batch = status.pending;
    status.pending = [];
    for (const data of batch) applyStatusEvent(data);
    if (batch.length) hooks.flushes++;
    hooks.flushMs += performance.now() - started;
    $('status-empty').hidden = statusRoot().kids.size > 0;
  }

  function scheduleStatusFlush() {
    if (!status.frameRequested) {
      status.frameRequested = true;
      requestAnimationFrame(flushStatus);
    }
  }

  // The whole tree again (at start, after a reconnect, on `reset`): what the server knows now.
  async function loadStatusSnapshot() {
    status.snapshotLoading = true;
    try {
      const snapshot = await api('GET', '/api/status');
      for (const key of Array.from(statusRoot().kids.keys())) removeNode(key);
      status.sources.clear();
      applySet('', snapshot.tree || {});
      for (const [path, info] of Object.entries(snapshot.sources || {})) applyStale(path, info);
    } catch (error) {
      console.warn('status snapshot:', error.message);
    } finally {
      status.snapshotLoading = false;
      scheduleStatusFlush();
    }
  }

  listeners.status.push((data) => {
    hooks.statusEvents++;
    status.pending.push(data);
    scheduleStatusFlush();
  });
  listeners.reset.push(loadStatusSnapshot);
  listeners.open.push(loadStatusSnapshot);

  // Stale ages count up between events.
  setInterval(() => {
    for (const [path, src] of status.sources) {
      if (!src.stale) continue;
      const node = status.nodes.get(path);
      if (node && node.badge) updateBadge(node, src);
    }
  }, 1000);

  $('status-tree').addEventListener('click', (event) => {
    const value = event.target.closest('.value.number');
    if (!value) return;
    const path = value.closest('.node').dataset.path;
    location.hash = '#/history?path=' + encodeURIComponent(path);
  });

  pages.status = { enter() { $('status-empty').hidden = statusRoot().kids.size > 0; } };

  // --- objects -------------------------------------------------------------------------------

  let objectsTimer = null;

  async function loadObjects() {
    try {
      const listing = await api('GET', '/api/objects');
      renderObjects(listing.objects || []);
      showError($('objects-error'), null);
    } catch (error) {
      showError($('objects-error'), error);
    }
  }

  function renderObjects(objects) {
    const body = $('objects-list');
    const rows = [];
    for (const object of objects) {
      const workers = object.workers && object.workers.length ? object.workers : [{}];
      workers.forEach((w, i) => {
        const uptime = w.uptime !== undefined ? w.uptime : w.uptime_s;
        rows.push(el('tr', { 'data-object': object.id, 'data-worker': w.pid !== undefined ? String(w.pid) : null }, [
          el('td', {}, i === 0 ? [el('a', { href: '#/object/' + encodeURIComponent(object.id), 'data-object-link': object.id, text: object.id })] : []),
          el('td', { text: w.host || '' }),
          el('td', { className: 'num', text: w.pid !== undefined && w.pid !== null ? String(w.pid) : '' }),
          el('td', { text: w.program || '' }),
          el('td', { className: 'num', text: typeof uptime === 'number' ? ageText(uptime) : '' }),
          el('td', { className: 'num', text: w.calls !== undefined ? String(w.calls) : '' }),
          el('td', { className: 'num', text: w.in_flight !== undefined ? String(w.in_flight) : '' }),
        ]));
      });
    }
    body.replaceChildren(...rows);
    $('objects-empty').hidden = objects.length > 0;
  }

  // Presence events say something changed; the listing says what is there now (with counts), so
  // refetch it, coalescing a burst of events into one request.
  let presenceTimer = null;
  listeners.presence.push(() => {
    if (current !== pages.objects) return;
    clearTimeout(presenceTimer);
    presenceTimer = setTimeout(loadObjects, 100);
  });
  // After a reconnect or a `reset` (the server dropped presence events this page did not read in
  // time), the listing is the truth again.
  const reloadObjects = () => { if (current === pages.objects) loadObjects(); };
  listeners.open.push(reloadObjects);
  listeners.reset.push(reloadObjects);

  pages.objects = {
    enter() {
      loadObjects();
      objectsTimer = setInterval(loadObjects, 5000);  // uptime and call counts move on their own
    },
    leave() { clearInterval(objectsTimer); },
  };

  // --- one object: methods with forms, properties live ---------------------------------------

  const INTEGER = /^u?int(8|16|32|64)$/;
  const FLOAT = /^(float|double)$/;
  let objectPage = null;  // {id, types, properties: Map name → {cell, text}, timer}

  function typeInput(type, types, name) {
    const enumType = types.get(type);
    let input;
    if (type === 'bool') {
      input = el('input', { type: 'checkbox' });
      input.read = () => input.checked;
      input.write = (v) => { input.checked = !!v; };
    } else if (INTEGER.test(type) || FLOAT.test(type) || /^duration</.test(type)) {
      const integer = INTEGER.test(type) || /^duration<u?int/.test(type);
      input = el('input', { type: 'number', step: integer ? '1' : 'any', placeholder: type });
      input.read = () => {
        if (input.value.trim() === '') throw new Error(name + ': a number is needed');
        const v = Number(input.value);
        if (integer && !Number.isInteger(v)) throw new Error(name + ': an integer is needed');
        return v;
      };
      input.write = (v) => { input.value = typeof v === 'number' ? String(v) : ''; };
    } else if (type === 'string') {
      input = el('input', { type: 'text', placeholder: 'string' });
      input.read = () => input.value;
      input.write = (v) => { input.value = v === null || v === undefined ? '' : String(v); };
    } else if (enumType && enumType.kind === 'enum') {
      input = el('select', {}, (enumType.values || []).map((e) => el('option', { value: e.name, text: e.name })));
      input.read = () => input.value;
      input.write = (v) => { if (typeof v === 'string') input.value = v; };
    } else if (/^optional<(.*)>$/.test(type)) {
      const inner = typeInput(type.slice(9, -1), types, name);
      const none = el('input', { type: 'checkbox', title: 'null' });
      input = el('span', { className: 'optional' }, [inner, el('label', {}, [none, ' null'])]);
      input.read = () => (none.checked ? null : inner.read());
      input.write = (v) => { none.checked = v === null; if (v !== null) inner.write(v); };
      input.focusTarget = inner;
    } else {
      // Structs, arrays, maps, tuples, json, ndarrays: JSON, prefilled with a struct's fields.
      input = el('textarea', { placeholder: type + ' as JSON', spellcheck: 'false' });
      if (enumType && enumType.kind === 'struct') {
        const template = {};
        for (const f of enumType.fields || []) template[f.name] = INTEGER.test(f.type) || FLOAT.test(f.type) ? 0 : f.type === 'bool' ? false : f.type === 'string' ? '' : null;
        input.value = JSON.stringify(template);
      }
      input.read = () => {
        try { return JSON.parse(input.value); } catch (e) { throw new Error(name + ': not JSON (' + e.message + ')'); }
      };
      input.write = (v) => { input.value = JSON.stringify(v); };
    }
    input.dataset.type = type;
    return input;
  }

  function methodForm(id, method, types) {
    const inputs = [];
    const grid = el('div', { className: 'params' });
    for (const p of method.params || []) {
      const input = typeInput(p.type, types, p.name);
      input.dataset.param = p.name;
      inputs.push(input);
      grid.append(el('label', { text: p.name + ': ' + p.type }), input);
    }
    const result = el('div', { className: 'result', 'data-result': true });
    const button = el('button', { type: 'submit', 'data-action': 'call', text: 'Call' });
    const form = el('form', { className: 'method', 'data-method': method.name }, [
      el('h3', { text: method.name + '(' + (method.params || []).map((p) => p.name + ': ' + p.type).join(', ') + ') → ' + (method.returns || 'void') }),
      method.doc ? el('div', { className: 'doc', text: method.doc }) : null,
      inputs.length ? grid : null,
      button,
      result,
    ]);
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      result.classList.remove('error');
      let params;
      try {
        params = inputs.map((input) => input.read());
      } catch (error) {
        result.classList.add('error');
        result.dataset.state = 'error';
        result.replaceChildren(error.message);
        return;
      }
      button.disabled = true;
      result.dataset.state = 'calling';
      result.replaceChildren('calling…');
      try {
        const reply = await api('POST', '/api/objects/' + encodeURIComponent(id) + '/call/' + encodeURIComponent(method.name), { params });
        if (reply.error) {
          result.classList.add('error');
          result.dataset.state = 'error';
          result.replaceChildren('error ' + (reply.error.code !== undefined ? reply.error.code + ': ' : '') + reply.error.message +
            (reply.error.data !== undefined ? '\n' + JSON.stringify(reply.error.data) : ''));
        } else {
          result.dataset.state = 'ok';
          result.replaceChildren(shownValue(reply.result === undefined ? null : reply.result));
          if (method.returns === 'void') result.replaceChildren('done');
        }
      } catch (error) {
        result.classList.add('error');
        result.dataset.state = 'error';
        result.replaceChildren(error.message);
      } finally {
        button.disabled = false;
      }
    });
    return form;
  }

  function propertyRow(id, prop, types, initial) {
    const valueCell = el('td', { 'data-value': true });
    const row = el('tr', { 'data-property': prop.name }, [
      el('td', { text: prop.name }),
      el('td', { className: 'hint', text: prop.type }),
      valueCell,
    ]);
    const setCell = el('td');
    const entry = { cell: valueCell, shown: undefined };
    if (!prop.readonly) {
      const input = typeInput(prop.type, types, prop.name);
      input.dataset.setter = prop.name;
      if (initial !== undefined) input.write(initial);
      const message = el('span', { className: 'hint', 'data-set-result': true });
      const form = el('form', { className: 'setter' }, [input, ' ', el('button', { type: 'submit', 'data-action': 'set', text: 'Set' }), ' ', message]);
      form.addEventListener('submit', async (event) => {
        event.preventDefault();
        message.classList.remove('error');
        try {
          const reply = await api('PUT', '/api/objects/' + encodeURIComponent(id) + '/properties/' + encodeURIComponent(prop.name), { value: input.read() });
          if (reply.error) throw new Error(reply.error.message);  // the object refused (range, read-only)
          showProperty(entry, reply.value);
          message.textContent = 'set';
        } catch (error) {
          message.classList.add('error');
          message.textContent = error.message;
        }
      });
      setCell.append(form);
    }
    row.append(setCell, el('td', { className: 'doc', text: prop.doc || '' }));
    return { row, entry };
  }

  function showProperty(entry, value) {
    const key = JSON.stringify(value);
    if (entry.shown === key) return;  // unchanged: leave the DOM (and an image) alone
    entry.shown = key;
    entry.cell.replaceChildren(isShownBig(value) ? shownValue(value) : shortText(value));
  }

  async function pollProperties(page) {
    if (objectPage !== page) return;
    try {
      const values = await api('GET', '/api/objects/' + encodeURIComponent(page.id) + '/properties');
      if (objectPage !== page) return;
      for (const [name, value] of Object.entries(values || {})) {
        const entry = page.properties.get(name);
        if (entry) showProperty(entry, value);
      }
      showError($('object-error'), null);
    } catch (error) {
      if (objectPage === page) showError($('object-error'), error);
    }
    if (objectPage === page) page.timer = setTimeout(() => pollProperties(page), PROPERTY_POLL_MS);
  }

  pages.object = {
    async enter(target) {
      const page = objectPage = { id: target.id, properties: new Map(), timer: null };
      $('object-id').textContent = target.id;
      $('object-doc').textContent = '';
      $('object-methods').replaceChildren();
      $('object-properties').tBodies[0].replaceChildren();
      showError($('object-error'), null);
      let info;
      try {
        info = await api('GET', '/api/objects/' + encodeURIComponent(target.id));
      } catch (error) {
        if (objectPage === page) showError($('object-error'), error.status === 404 ? new Error("no object '" + target.id + "' is registered with the broker") : error);
        return;
      }
      if (objectPage !== page) return;
      const describe = info.describe || {};
      const types = new Map((describe.types || []).map((t) => [t.name, t]));
      const objects = describe.objects || [];
      $('object-doc').textContent = objects.map((o) => o.name + (o.doc ? ': ' + o.doc : '')).join('\n');
      const values = info.properties || {};
      for (const object of objects) {
        for (const prop of object.properties || []) {
          const { row, entry } = propertyRow(target.id, prop, types, values[prop.name]);
          if (prop.name in values) showProperty(entry, values[prop.name]);
          page.properties.set(prop.name, entry);
          $('object-properties').tBodies[0].append(row);
        }
        for (const method of object.methods || []) $('object-methods').append(methodForm(target.id, method, types));
      }
      page.timer = setTimeout(() => pollProperties(page), PROPERTY_POLL_MS);
    },
    leave() {
      if (objectPage) clearTimeout(objectPage.timer);
      objectPage = null;
    },
  };

  // --- logs ----------------------------------------------------------------------------------

  const logs = { records: [], pending: [], frameRequested: false, nodes: new Set(), dropped: 0, shown: 0 };

  function logFilter() {
    const min = LEVEL_RANK[$('logs-level').value] || 0;
    const node = $('logs-node').value;
    const text = $('logs-text').value.trim().toLowerCase();
    return (r) => (LEVEL_RANK[r.level] === undefined ? 0 : LEVEL_RANK[r.level]) >= min &&
      (!node || r.node === node) &&
      (!text || (r.msg || r.message || '').toLowerCase().includes(text) || (r.node || '').toLowerCase().includes(text));
  }

  // Local time, as the history plot's axis: a control room reads its own clock.
  function logTime(r) {
    const t = r.ts !== undefined ? r.ts : r.time;
    const ms = typeof t === 'number' ? t * 1000 : Date.parse(t);
    if (!Number.isFinite(ms)) return typeof t === 'string' ? t : '';
    const d = new Date(ms);
    const two = (n) => String(n).padStart(2, '0');
    return d.getFullYear() + '-' + two(d.getMonth() + 1) + '-' + two(d.getDate()) + ' ' + two(d.getHours()) + ':' +
      two(d.getMinutes()) + ':' + two(d.getSeconds()) + '.' + String(d.getMilliseconds()).padStart(3, '0');
  }

  function logRow(r) {
    return el('tr', { className: 'level-' + r.level, 'data-level': r.level, 'data-node': r.node }, [
      el('td', { text: logTime(r) }),
      el('td', { text: r.level }),
      el('td', { text: r.node || '' }),
      el('td', { text: r.msg !== undefined ? r.msg : (r.message || '') }),
    ]);
  }

  function renderLogs() {
    const keep = logFilter();
    const rows = logs.records.filter(keep).map(logRow);
    $('logs-list').replaceChildren(...rows);
    logs.shown = rows.length;
    logCount();
    followLogs();
  }

  function logCount() {
    $('logs-count').textContent = logs.shown + ' shown of ' + logs.records.length + ' kept (last ' + LOG_LIMIT + ')';
  }

  function followLogs() {
    if ($('logs-follow').checked) { const box = $('logs-scroll'); box.scrollTop = box.scrollHeight; }
  }

  function flushLogs() {
    logs.frameRequested = false;
    const batch = logs.pending;
    logs.pending = [];
    if (!batch.length) return;
    const list = $('logs-list');
    const keep = logFilter();
    const fragment = document.createDocumentFragment();
    let added = 0;
    for (const r of batch) {
      if (keep(r)) { fragment.append(logRow(r)); added++; }
    }
    list.append(fragment);
    logs.shown += added;
    while (logs.shown > LOG_LIMIT && list.firstChild) { list.firstChild.remove(); logs.shown--; }
    logCount();
    followLogs();
  }

  function addNodeOption(node) {
    if (!node || logs.nodes.has(node)) return;
    logs.nodes.add(node);
    const select = $('logs-node');
    const options = Array.from(select.options).slice(1);
    const before = options.find((o) => o.value > node) || null;
    select.insertBefore(el('option', { value: node, text: node }), before);
  }

  listeners.logs.push((records) => {
    if (!Array.isArray(records)) records = [records];
    hooks.logRecords += records.length;
    for (const r of records) {
      addNodeOption(r.node);
      logs.records.push(r);
      logs.pending.push(r);
    }
    if (logs.records.length > LOG_LIMIT) logs.records.splice(0, logs.records.length - LOG_LIMIT);
    if (logs.pending.length > LOG_LIMIT) logs.pending.splice(0, logs.pending.length - LOG_LIMIT);
    if (!logs.frameRequested) { logs.frameRequested = true; requestAnimationFrame(flushLogs); }
  });
  listeners.dropped.push((data) => {
    logs.dropped += Number(data && data.dropped) || 0;
    const node = $('logs-dropped');
    node.hidden = false;
    node.textContent = logs.dropped + ' records dropped (the page fell behind)';
  });
  for (const id of ['logs-level', 'logs-node', 'logs-text']) $(id).addEventListener('input', renderLogs);
  $('logs-follow').addEventListener('change', followLogs);

  pages.logs = { enter() { logCount(); followLogs(); } };

  // --- history -------------------------------------------------------------------------------

  const history = { path: '', range: 3600, points: [], request: 0, drawRequested: false };

  function drawHistory() {
    history.drawRequested = false;
    if (current !== pages.history || !history.path) return;
    const t1 = Date.now() / 1000;
    const result = window.RocPlot.draw($('history-canvas'), history.points, { t0: t1 - history.range, t1, label: history.path });
    hooks.plots++;
    // requestToDrawMs: from asking the archive to the drawn canvas (only for a fetched range).
    const previous = hooks.lastPlot;
    hooks.lastPlot = Object.assign({ path: history.path, requestToDrawMs: previous && previous.path === history.path ? previous.requestToDrawMs : null }, result);
    if (history.requestStarted) {
      hooks.lastPlot.requestToDrawMs = performance.now() - history.requestStarted;
      history.requestStarted = null;
    }
    $('history-info').textContent = history.points.length + ' points';
    $('history-canvas').dataset.points = String(history.points.length);
  }

  function scheduleHistoryDraw() {
    if (!history.drawRequested) { history.drawRequested = true; requestAnimationFrame(drawHistory); }
  }

  async function loadHistory() {
    const request = ++history.request;
    showError($('history-error'), null);
    for (const b of document.querySelectorAll('#history-ranges button')) b.classList.toggle('active', Number(b.dataset.range) === history.range);
    if (!history.path) { history.points = []; return; }
    const started = performance.now();
    const canvasWidth = $('history-canvas').clientWidth || 1000;
    const points = Math.min(10000, Math.max(200, Math.round(canvasWidth * 2)));
    const since = Date.now() / 1000 - history.range;
    try {
      const reply = await api('GET', '/api/history?path=' + encodeURIComponent(history.path) + '&since=' + since.toFixed(3) + '&points=' + points);
      if (request !== history.request) return;
      history.points = reply.points || [];
      history.requestStarted = started;
      scheduleHistoryDraw();
    } catch (error) {
      if (request === history.request) showError($('history-error'), error);
    }
  }

  async function loadHistoryPaths() {
    try {
      const reply = await api('GET', '/api/history/paths');
      $('history-paths').replaceChildren(...(reply.paths || []).map((p) => el('option', { value: p })));
      return reply.paths || [];
    } catch (error) {
      showError($('history-error'), error);
      return [];
    }
  }

  // Choices go into the address (bookmarkable); choosing what is already shown reloads it.
  function showHistoryChoice() {
    const hash = '#/history?path=' + encodeURIComponent(history.path) + '&range=' + history.range;
    if (location.hash === hash) loadHistory();
    else location.hash = hash;
  }

  // The live tail: a status value for the plotted path extends the line.
  // Points go at the publisher's emit time, as the archive records them.
  status.leafListeners.push((path, value, t) => {
    if (path !== history.path || typeof value !== 'number') return;
    history.points.push([t, value]);
    const cut = Date.now() / 1000 - history.range;
    let drop = 0;
    while (drop < history.points.length && history.points[drop][0] < cut) drop++;
    if (drop) history.points.splice(0, drop);
    if (current === pages.history) scheduleHistoryDraw();
  });

  $('history-path').addEventListener('change', () => {
    history.path = $('history-path').value.trim();
    showHistoryChoice();
  });
  for (const button of document.querySelectorAll('#history-ranges button')) {
    button.addEventListener('click', () => {
      history.range = Number(button.dataset.range);
      showHistoryChoice();
    });
  }
  window.addEventListener('resize', () => { if (current === pages.history) scheduleHistoryDraw(); });

  pages.history = {
    async enter(target) {
      const range = Number(target.params.get('range'));
      if (range > 0) history.range = range;
      const path = target.params.get('path');
      const paths = loadHistoryPaths();
      if (path !== null) history.path = path;
      else if (!history.path) history.path = (await paths)[0] || '';
      $('history-path').value = history.path;
      history.points = [];
      await loadHistory();
    },
  };

  // --- start -----------------------------------------------------------------------------------

  function measureFrames(durationMs) {
    return new Promise((resolve) => {
      let frames = 0;
      const leaves0 = hooks.leavesApplied, events0 = hooks.statusEvents, flushMs0 = hooks.flushMs, flushes0 = hooks.flushes;
      const started = performance.now();
      let longest = 0, last = started;
      function tick(now) {
        frames++;
        longest = Math.max(longest, now - last);
        last = now;
        if (now - started < durationMs) requestAnimationFrame(tick);
        else {
          const seconds = (now - started) / 1000;
          resolve({ frames, seconds, fps: frames / seconds, longestFrameMs: longest,
            leavesPerSecond: (hooks.leavesApplied - leaves0) / seconds,
            statusEventsPerSecond: (hooks.statusEvents - events0) / seconds,
            msPerFlush: (hooks.flushMs - flushMs0) / Math.max(1, hooks.flushes - flushes0) });
        }
      }
      requestAnimationFrame(tick);
    });
  }

  async function loadInfo() {
    try {
      const info = await api('GET', '/api/info');
      $('broker').textContent = info.broker || '?';
      $('version').textContent = 'roc ' + (info.version || '?') + (info.archive ? ' · archive ' + info.archive + (info.recording ? '' : ' (not recording)') : ' · no archive');
    } catch (error) {
      $('broker').textContent = '?';
      $('version').textContent = error.message;
    }
  }

  window.addEventListener('hashchange', route);
  loadInfo();
  connect();
  route();
})();
