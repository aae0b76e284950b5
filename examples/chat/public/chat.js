/* global document, window, location */
// The chat page: one WebSocket to /chat, reopened with a growing, jittered delay whenever it
// closes. A close with 1001 (going away, RFC 6455 7.4.1) is the server rolling its workers: the
// first retry comes soon, since a fresh worker is already listening.
'use strict';

const FIRST_RETRY_MS = 250;
const MAX_RETRY_MS = 8000;
const CLOSE_REASONS = { 1000: 'closed', 1001: 'going away', 1006: 'connection lost', 1008: 'refused', 1009: 'too big', 1011: 'server error' };

const body = document.body;
const statusLine = document.getElementById('status');
const list = document.getElementById('messages');
const form = document.getElementById('composer');
const nameInput = document.getElementById('name');
const textInput = document.getElementById('text');
const sendButton = document.getElementById('send');

/** What tests (and the curious, in the console) can read: the state, the worker, every close code seen. */
const chat = (window.chat = { state: 'connecting', worker: null, closeCodes: [] });

let socket = null;
let retryMs = FIRST_RETRY_MS;

nameInput.value = `guest-${Math.floor(Math.random() * 10000)}`;

function setState(state, text) {
  chat.state = state;
  body.dataset.state = state;
  statusLine.textContent = text;
  const open = state === 'connected';
  textInput.disabled = !open;
  sendButton.disabled = !open;
}

function show(kind, name, text) {
  const item = document.createElement('li');
  item.className = kind;
  if (name !== null) {
    item.dataset.from = name;
    const from = document.createElement('span');
    from.className = 'from';
    from.textContent = name;
    item.append(from);
  }
  item.append(document.createTextNode(text));
  list.append(item);
  item.scrollIntoView({ block: 'end' });
}

function connect() {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  socket = new WebSocket(`${scheme}://${location.host}/chat`);
  socket.addEventListener('open', () => {
    retryMs = FIRST_RETRY_MS;
    setState('connected', 'connected');
  });
  socket.addEventListener('message', (event) => {
    let message;
    try {
      message = JSON.parse(event.data);
    } catch {
      return;
    }
    if (message.type === 'welcome') {
      chat.worker = message.worker;
      setState('connected', `connected (worker ${message.worker})`);
    } else if (message.type === 'message') {
      show('message', message.name, message.text);
    }
  });
  // 'close' follows 'error' too, with 1006 when there was no close frame.
  socket.addEventListener('close', (event) => {
    chat.closeCodes.push(event.code);
    body.dataset.closeCodes = chat.closeCodes.join(',');
    const reason = CLOSE_REASONS[event.code] ?? 'closed';
    // Full jitter on half the delay: pages dropped by one worker don't all come back at once.
    const delay = Math.round(retryMs / 2 + (Math.random() * retryMs) / 2);
    retryMs = Math.min(retryMs * 2, MAX_RETRY_MS);
    show('notice', null, `disconnected: ${event.code} ${reason}; reconnecting`);
    setState('reconnecting', `${event.code} ${reason}: reconnecting in ${(delay / 1000).toFixed(1)} s`);
    setTimeout(connect, delay);
  });
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  const text = textInput.value.trim();
  if (text === '' || socket === null || socket.readyState !== WebSocket.OPEN) return;
  const name = nameInput.value.trim() || 'anonymous';
  socket.send(JSON.stringify({ name, text }));
  // The server publishes to everyone else: the sender shows its own message itself, once.
  show('message mine', name, text);
  textInput.value = '';
  textInput.focus();
});

connect();
