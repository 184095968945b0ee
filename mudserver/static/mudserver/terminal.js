/* Browser client for the GREAT-GREAT MUD. Speaks the JSON frames of PROTOCOL.md over one
 * WebSocket. Server and player text only ever reaches the page through textContent. */
(function () {
  'use strict';

  // ---- settings -------------------------------------------------------------------------
  var WS_PATH = '/ws/game/';
  var MAX_BLOCKS = 2000;          // output scrollback, in frames
  var MAX_CHAT_LINES = 500;
  var MAX_HISTORY = 100;
  var PING_MS = 25000;
  var BACKOFF_MIN_MS = 500;
  var BACKOFF_MAX_MS = 10000;
  var STABLE_MS = 10000;          // a socket open this long resets the backoff
  // A web process that restarts (close 4012) closes all its sockets at once and is back in about two
  // seconds: its players return spread over this window, so that the restarted process takes a
  // share of them instead of the others greeting them all at once (loadtest.RESTART_RECONNECT_S).
  var RESTART_RECONNECT_MS = [500, 5000];
  var CLOSE_SERVICE_RESTART = 4012;
  var NEAR_BOTTOM_PX = 40;
  // Close codes after which the page does not reconnect, and why (a function: the text follows the language).
  var NO_RECONNECT = {
    4001: function () { return gettext('Disconnected: signed in elsewhere. Reload to reconnect.'); },
    4002: function () { return gettext('A game master disconnected you. Reload to reconnect.'); },
    4003: function () { return gettext('This account has been banned by a game master.'); },
    4008: function () { return gettext('Disconnected: too many bad messages. Reload to reconnect.'); }
  };
  var COLOUR_CODES = 'rgybcmwx';
  // A bracketed option in the game's text: `[D]ungeon`, `[1]`, `[UP]` (capitals or digits, as the
  // scenes write them; `[Notice]` or a name in brackets is left as text).
  var OPTION = /\[([A-Z0-9]{1,4})\]/g;

  // ---- language ---------------------------------------------------------------------------
  /* The page's own strings come from Django's djangojs catalogues, both languages embedded in the
   * page (mud-catalogues). The server says which language a player reads in each output frame
   * (`lang`), so `lang en` / `lang ko` switch the page with the game text. */
  var CATALOGUES = JSON.parse(document.getElementById('mud-catalogues').textContent);
  // Until the server says: the language this browser last read the game in, kept here because the
  // server stores nothing before sign-in; else the browser's (only Korean and English exist; else English).
  var LANG = storedLang() || ((navigator.language || 'en').slice(0, 2).toLowerCase() === 'ko' ? 'ko' : 'en');

  function storedLang() {
    try {
      var lang = window.localStorage.getItem('mud-lang');
      return CATALOGUES.hasOwnProperty(lang) ? lang : null;
    } catch (e) { return null; }  // storage turned off: the browser's language
  }

  function gettext(msgid) {
    var translated = (CATALOGUES[LANG] || {})[msgid];
    return typeof translated === 'string' && translated ? translated : msgid;
  }

  /* `%(name)s` placeholders filled from `values` (text only: the result goes through textContent). */
  function interpolate(format, values) {
    return format.replace(/%\((\w+)\)s/g, function (match, key) { return String(values[key]); });
  }

  // ---- elements -------------------------------------------------------------------------
  function $(id) { return document.getElementById(id); }
  var el = {
    output: $('output'), command: $('command'), send: $('send'), commandForm: $('command-form'),
    terminal: $('terminal'), status: $('status'), name: $('status-name'),
    level: $('status-level'), stats: $('status-stats'),
    hp: $('bar-hp'), mp: $('bar-mp'), exp: $('bar-exp'),
    chatLog: $('chat-log'), chatChannel: $('chat-channel'), chatCount: $('chat-count'),
    chatInput: $('chat-input'), chatForm: $('chat-form'), conn: $('conn'),
    chat: $('chat'), chatLabel: $('chat-label'), chatSend: $('chat-send')
  };

  // ---- state ----------------------------------------------------------------------------
  var socket = null;
  var connected = false;
  var everConnected = false;
  var stopped = false;            // true after 4001/4008: wait for a reload
  var openedAt = 0;
  var attempt = 0;
  var reconnectTimer = null;
  var quickRestarts = 0;          // restart closes (4012) in a row of sockets open less than STABLE_MS
  var pingTimer = null;
  var scene = null;
  var connState = 'connecting';
  var status = null;              // the last status frame's character, redrawn on a language change
  var inputType = 'text';
  var channel = null;
  var history = [];
  var historyPos = 0;             // == history.length means "at the draft"
  var draft = '';
  var commands = [];              // the current scene's command words: the last `commands` sent
  var completion = null;          // the Tab cycle in progress: { matches, index }

  // ---- small DOM helpers ----------------------------------------------------------------
  function node(tag, className, text) {
    var n = document.createElement(tag);
    if (className) n.className = className;
    if (text !== undefined) n.textContent = text;
    return n;
  }

  function isNearBottom(box) {
    return box.scrollHeight - box.scrollTop - box.clientHeight <= NEAR_BOTTOM_PX;
  }

  /* Append a child to a scrolling log, trim the oldest children beyond `max`, and keep
   * the reader's place: follow the bottom only if they were already there. */
  function appendToLog(box, child, max, forceScroll) {
    var follow = forceScroll || isNearBottom(box);
    box.appendChild(child);
    if (box.childNodes.length > max) {
      var before = box.scrollHeight;
      while (box.childNodes.length > max) box.removeChild(box.firstChild);
      // The text moved up by what was removed; move the view with it (CSS turns off the
      // browser's own scroll anchoring so this is the only correction).
      if (!follow) box.scrollTop = Math.max(0, box.scrollTop - (before - box.scrollHeight));
    }
    if (follow) box.scrollTop = box.scrollHeight;
  }

  /* A log the reader was following stays at the bottom when its box resizes
   * (narrow layouts, a phone's on-screen keyboard, rotation). */
  function keepFollowingOnResize(box) {
    var follow = true;
    box.addEventListener('scroll', function () { follow = isNearBottom(box); });
    if (!window.ResizeObserver) return;
    new ResizeObserver(function () { if (follow) box.scrollTop = box.scrollHeight; }).observe(box);
  }

  // ---- markup ---------------------------------------------------------------------------
  /* Turn MUD colour markup into a fragment of text nodes and <span class="c-X">.
   * `|X` switches colour, `|n` resets, `||` is a literal bar; any other `|` stays as is. */
  function renderMarkup(text) {
    var frag = document.createDocumentFragment();
    var colour = null;
    var buf = '';
    function flush() {
      if (!buf) return;
      if (colour) frag.appendChild(withOptions(node('span', 'c-' + colour), buf));
      else withOptions(frag, buf);
      buf = '';
    }
    for (var i = 0; i < text.length; i++) {
      var ch = text.charAt(i);
      if (ch !== '|' || i + 1 >= text.length) { buf += ch; continue; }
      var code = text.charAt(i + 1);
      if (code === '|') { buf += '|'; i++; }
      else if (code === 'n') { flush(); colour = null; i++; }
      else if (COLOUR_CODES.indexOf(code) >= 0) { flush(); colour = code; i++; }
      else { buf += ch; }
    }
    flush();
    return frag;
  }

  /* Append `text` to `parent`, each bracketed option as a button that sends it (text nodes only). */
  function withOptions(parent, text) {
    var at = 0;
    var match;
    OPTION.lastIndex = 0;
    while ((match = OPTION.exec(text)) !== null) {
      if (match.index > at) parent.appendChild(document.createTextNode(text.slice(at, match.index)));
      var option = node('button', 'option', match[0]);
      option.type = 'button';
      option.title = gettext('Send this option');
      option.setAttribute('data-line', match[1].toLowerCase());
      parent.appendChild(option);
      at = match.index + match[0].length;
    }
    if (at < text.length) parent.appendChild(document.createTextNode(text.slice(at)));
    return parent;
  }

  // ---- output pane ----------------------------------------------------------------------
  function addBlock(className, content, forceScroll) {
    var block = node('div', 'block' + (className ? ' ' + className : ''));
    if (typeof content === 'string') block.textContent = content;
    else block.appendChild(content);
    appendToLog(el.output, block, MAX_BLOCKS, forceScroll);
    return block;
  }

  function notice(text) { addBlock('notice', text, true); }

  function setInputType(type) {
    inputType = type === 'password' ? 'password' : 'text';
    el.command.type = inputType;
    el.command.setAttribute('data-mode', inputType);
  }

  /* Every string of the page itself in the current language (the game's text comes translated). */
  function applyLanguage() {
    document.documentElement.lang = LANG;
    el.conn.title = gettext('Connection');
    el.conn.textContent = connLabel(connState);
    el.chatLabel.textContent = gettext('Chat');
    el.terminal.setAttribute('aria-label', gettext('Terminal'));
    el.output.setAttribute('aria-label', gettext('Game output'));
    el.command.placeholder = gettext('Type a command');
    el.command.setAttribute('aria-label', gettext('Command'));
    el.send.textContent = gettext('Send');
    el.chat.setAttribute('aria-label', gettext('Chat'));
    el.chatInput.placeholder = gettext('Chat (whisper: /w name text)');
    el.chatInput.setAttribute('aria-label', gettext('Chat message'));
    el.chatSend.textContent = gettext('Send');
    renderStatus(status);
  }

  // ---- status bar -----------------------------------------------------------------------
  function num(v) { var n = Number(v); return isFinite(n) ? n : 0; }

  function drawBar(bar, label, value, max) {
    var fill = bar.querySelector('.bar-fill');
    var text = bar.querySelector('.bar-label');
    if (value === null) {              // signed out: an empty bar
      fill.style.width = '0%';
      text.textContent = label;
      bar.removeAttribute('aria-valuenow');
      bar.classList.remove('low');
      return;
    }
    var ratio = max > 0 ? Math.min(1, Math.max(0, value / max)) : 1;
    fill.style.width = (ratio * 100).toFixed(1) + '%';
    text.textContent = label + ' ' + value + '/' + (max > 0 ? max : '-');
    bar.setAttribute('aria-valuenow', String(value));
    bar.setAttribute('aria-valuemax', String(max));
    bar.classList.toggle('low', ratio < 0.25);
  }

  function renderStatus(c) {
    status = c;
    el.status.setAttribute('data-signed-in', c ? 'true' : 'false');
    if (!c) {
      el.name.textContent = gettext('Please sign in');
      el.level.textContent = '';
      el.stats.textContent = '';
      drawBar(el.hp, 'HP', null);
      drawBar(el.mp, 'MP', null);
      drawBar(el.exp, 'EXP', null);
      el.status.classList.remove('dead');
      return;
    }
    el.name.textContent = String(c.name || '');
    el.level.textContent = 'Lv. ' + num(c.level);
    el.stats.textContent = interpolate(gettext('ATK %(attack)s · DEF %(defense)s · WPN Lv. %(weapon)s'),
                                       { attack: num(c.attack), defense: num(c.defense), weapon: num(c.weapon_level) });
    drawBar(el.hp, 'HP', num(c.hp), num(c.max_hp));
    drawBar(el.mp, 'MP', num(c.mp), num(c.max_mp));
    // exp and exp_next are both cumulative; at the level cap exp_next may be absent.
    drawBar(el.exp, 'EXP', num(c.exp), c.exp_next == null ? 0 : num(c.exp_next));
    el.status.classList.toggle('dead', num(c.hp) <= 0);
  }

  // ---- chat pane ------------------------------------------------------------------------
  function clock(iso) {
    var d = iso ? new Date(iso) : new Date();
    if (isNaN(d.getTime())) d = new Date();
    function two(n) { return (n < 10 ? '0' : '') + n; }
    return two(d.getHours()) + ':' + two(d.getMinutes());
  }

  function addChatLine(line) {
    appendToLog(el.chatLog, line, MAX_CHAT_LINES, false);
  }

  function chatNotice(text) { addChatLine(node('div', 'chat-line chat-notice', text)); }

  function onChat(f) {
    // Chat text is never markup: shown exactly as typed.
    var line = node('div', 'chat-line' + (f.whisper ? ' whisper' : ''));
    line.appendChild(node('span', 'chat-time', '[' + clock(f.at) + '] '));
    line.appendChild(node('span', 'chat-from', String(f.from == null ? '' : f.from)));
    if (f.whisper && f.to) line.appendChild(node('span', 'chat-to', ' \u2192 ' + String(f.to)));
    line.appendChild(node('span', 'chat-sep', ': '));
    line.appendChild(node('span', 'chat-text', String(f.text == null ? '' : f.text)));
    addChatLine(line);
  }

  function onPresence(f) {
    var id = f.channel == null ? '' : String(f.channel);
    if (channel !== null && id !== channel) chatNotice('— ' + id + ' —');
    channel = id;
    el.chatChannel.textContent = id;
    el.chatCount.textContent = num(f.members) + '/' + num(f.capacity);
    if (f.joined) chatNotice(interpolate(gettext('%(name)s joined.'), { name: f.joined }));
    if (f.left) chatNotice(interpolate(gettext('%(name)s left.'), { name: f.left }));
  }

  // ---- incoming frames ------------------------------------------------------------------
  function onOutput(f) {
    if (f.lang !== LANG && CATALOGUES.hasOwnProperty(f.lang)) {
      LANG = f.lang;
      try { window.localStorage.setItem('mud-lang', LANG); } catch (e) { /* kept for this page only */ }
      applyLanguage();
    }
    if (typeof f.scene === 'string') {
      scene = f.scene;
      document.body.setAttribute('data-scene', scene);
    }
    if (Array.isArray(f.commands)) {
      commands = f.commands.filter(function (word) { return typeof word === 'string'; });
    }
    addBlock('', renderMarkup(String(f.text == null ? '' : f.text)), false);
    if (f.input === 'password' || f.input === 'text') setInputType(f.input);
  }

  function onError(f) {
    var block = addBlock('error', String(f.text || f.code || 'error'), false);
    if (f.code) block.setAttribute('data-code', String(f.code));
  }

  var HANDLERS = {
    output: onOutput,
    status: function (f) { renderStatus(f.character || null); },
    chat: onChat,
    chat_presence: onPresence,
    error: onError,
    pong: function () {}
  };

  function onFrame(ev) {
    var f;
    try { f = JSON.parse(ev.data); } catch (e) { return; }
    if (!f || typeof f !== 'object') return;
    var handler = HANDLERS[f.type];
    if (handler) handler(f);   // unknown types are ignored so the server can add new ones
  }

  // ---- connection -----------------------------------------------------------------------
  function connLabel(state) {
    return {
      connecting: gettext('connecting'),
      connected: gettext('connected'),
      reconnecting: gettext('reconnecting'),
      disconnected: gettext('disconnected')
    }[state];
  }

  function setConn(state) {
    connState = state;
    el.conn.setAttribute('data-state', state);
    el.conn.textContent = connLabel(state);
    document.body.classList.toggle('offline', state !== 'connected');
  }

  function socketUrl() {
    var scheme = location.protocol === 'https:' ? 'wss://' : 'ws://';
    return scheme + location.host + WS_PATH + '?lang=' + LANG;
  }

  function send(frame) {
    if (!connected || !socket || socket.readyState !== WebSocket.OPEN) return false;
    socket.send(JSON.stringify(frame));
    return true;
  }

  function connect() {
    reconnectTimer = null;
    if (stopped) return;
    setConn(everConnected ? 'reconnecting' : 'connecting');
    var ws;
    try { ws = new WebSocket(socketUrl()); } catch (e) { scheduleReconnect(); return; }
    socket = ws;
    // Events from an older, replaced socket must not touch the current state.
    ws.onopen = function () { if (ws === socket) onOpen(); };
    ws.onmessage = function (ev) { if (ws === socket) onFrame(ev); };
    ws.onclose = function (ev) { if (ws === socket) onClose(ev); };
    ws.onerror = function () { /* a close event always follows */ };
  }

  function onOpen() {
    connected = true;
    everConnected = true;
    openedAt = Date.now();
    setConn('connected');
    clearInterval(pingTimer);
    pingTimer = setInterval(function () { send({ type: 'ping' }); }, PING_MS);
  }

  function onClose(ev) {
    var wasConnected = connected;
    connected = false;
    socket = null;
    clearInterval(pingTimer);
    pingTimer = null;
    if (NO_RECONNECT[ev.code]) {
      stopped = true;
      setConn('disconnected');
      addBlock('error', NO_RECONNECT[ev.code](), true);
      return;
    }
    if (ev.code === CLOSE_SERVICE_RESTART && wasConnected) {
      // 4012s of short-lived sockets in a row (a process closing at once, Redis flapping) fall back
      // to the backoff after a few.
      quickRestarts = Date.now() - openedAt >= STABLE_MS ? 0 : quickRestarts + 1;
      if (quickRestarts < 3) {
        // The server said why (its own notice is on screen): back within the restart window.
        attempt = 0;
        var spread = RESTART_RECONNECT_MS;
        scheduleReconnect(spread[0] + Math.random() * (spread[1] - spread[0]));
        return;
      }
    }
    if (wasConnected) {
      if (Date.now() - openedAt >= STABLE_MS) attempt = 0;  // a short-lived socket keeps backing off
      notice(gettext('Connection lost. Reconnecting…'));
    }
    scheduleReconnect();
  }

  function scheduleReconnect(delay) {
    if (stopped || reconnectTimer) return;
    setConn('reconnecting');
    if (delay === undefined) {
      var base = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * Math.pow(2, attempt));
      attempt = Math.min(attempt + 1, 10);
      // ±20 % jitter so a server restart is not met by every client at the same instant.
      delay = Math.min(BACKOFF_MAX_MS, base * (0.8 + Math.random() * 0.4));
    }
    reconnectTimer = setTimeout(connect, delay);
  }

  // Coming back online: do not sit out the rest of a long backoff.
  function reconnectNow() {
    if (stopped || connected || !reconnectTimer) return;
    clearTimeout(reconnectTimer);
    connect();
  }

  function notConnectedText() {
    return stopped ? gettext('Disconnected. Reload to reconnect.') : gettext('Not connected; will retry.');
  }

  // ---- command input & history ----------------------------------------------------------
  function remember(line) {
    if (history[history.length - 1] !== line) history.push(line);
    if (history.length > MAX_HISTORY) history.splice(0, history.length - MAX_HISTORY);
  }

  function submitCommand() {
    var line = el.command.value;
    var secret = inputType === 'password';
    // An empty line at a password prompt is an answer: it cancels (sign-up, sign-in, deleting).
    if (line.trim() === '' && !secret) return;
    if (!connected) {
      notice(notConnectedText());  // keep the line in the input
      return;
    }
    send({ type: 'command', line: line });
    addBlock('echo', '> ' + (secret && line ? '******' : line), true);
    if (!secret) remember(line);   // passwords never enter the history
    historyPos = history.length;
    draft = '';
    el.command.value = '';
  }

  function showHistoryEntry(value) {
    el.command.value = value;
    var end = value.length;
    el.command.setSelectionRange(end, end);
  }

  function walkHistory(step) {
    var next = historyPos + step;
    if (next < 0 || next > history.length) return;
    if (historyPos === history.length) draft = el.command.value;  // leaving the draft
    historyPos = next;
    showHistoryEntry(next === history.length ? draft : history[next]);
  }

  /* Tab completes the first word from the scene's commands; Tab again cycles through the matches.
   * The key never moves the focus out of the input. */
  function complete() {
    var value = el.command.value;
    if (!completion) {
      if (/\s/.test(value)) return;
      var prefix = value.toLowerCase();
      var matches = commands.filter(function (word) { return word.toLowerCase().indexOf(prefix) === 0; });
      if (!matches.length) return;
      completion = { matches: matches, index: -1 };
    }
    completion.index = (completion.index + 1) % completion.matches.length;
    showHistoryEntry(completion.matches[completion.index]);
  }

  function sendOption(e) {
    var option = e.target.closest('button.option');
    if (!option || !el.output.contains(option)) return;
    e.preventDefault();
    if (!connected) { notice(notConnectedText()); return; }
    var line = option.getAttribute('data-line');
    send({ type: 'command', line: line });
    addBlock('echo', '> ' + line, true);
    el.command.focus({ preventScroll: true });
  }

  function onCommandKey(e) {
    if (e.isComposing || e.keyCode === 229) return;   // Hangul IME is mid-syllable
    if (e.key === 'Tab' && !e.shiftKey && !e.altKey && !e.ctrlKey && !e.metaKey) {
      e.preventDefault();
      if (inputType !== 'password') complete();
      return;
    }
    completion = null;                               // any other key ends a Tab cycle
    if (inputType === 'password') return;            // no recall into a masked field
    if (e.key === 'ArrowUp') { e.preventDefault(); walkHistory(-1); }
    else if (e.key === 'ArrowDown') { e.preventDefault(); walkHistory(1); }
  }

  // ---- chat input -----------------------------------------------------------------------
  function submitChat() {
    var text = el.chatInput.value;
    if (text.trim() === '') return;
    if (!connected) { chatNotice(notConnectedText()); return; }
    // "/w name text" goes as plain text too: the server parses whispers.
    send({ type: 'chat', text: text });
    el.chatInput.value = '';
  }

  // ---- focus ----------------------------------------------------------------------------
  function focusCommandOnClick(e) {
    var sel = window.getSelection && window.getSelection();
    if (sel && !sel.isCollapsed) return;     // the reader is selecting text to copy
    if (e.target.closest('input, button, a, textarea, select')) return;
    el.command.focus({ preventScroll: true });
  }

  // ---- wiring (once per page; reconnects reuse these listeners) -------------------------
  function init() {
    el.commandForm.addEventListener('submit', function (e) {
      e.preventDefault();
      submitCommand();
      el.command.focus();
    });
    el.command.addEventListener('keydown', onCommandKey);
    el.command.addEventListener('input', function () { completion = null; });  // typed, pasted, composed
    el.chatForm.addEventListener('submit', function (e) { e.preventDefault(); submitChat(); });
    el.output.addEventListener('click', sendOption);
    el.terminal.addEventListener('click', focusCommandOnClick);
    window.addEventListener('online', reconnectNow);
    keepFollowingOnResize(el.output);
    keepFollowingOnResize(el.chatLog);

    applyLanguage();
    setInputType('text');
    el.command.focus();
    connect();

    // Debug hook for tests.
    window.mud = {
      state: function () {
        return { connected: connected, scene: scene, inputType: inputType, lang: LANG, commands: commands.slice() };
      }
    };
  }

  init();
})();
