// A chat room over STOMP with @stomp/stompjs: every message is published to a topic, every page
// subscribes to it. Query parameters: ?broker=ws://host:port/ws (default: this host, port 15674) and
// ?room=NAME (default "lobby"). Runs in any browser; nothing here is specific to stomp-broker.
/* global StompJs */
(() => {
  const params = new URLSearchParams(location.search);
  const brokerURL = params.get('broker') || `ws://${location.hostname || '127.0.0.1'}:15674/ws`;
  const room = (params.get('room') || 'lobby').replace(/[^\w-]/g, '');
  const destination = `/topic/chat.${room}`;
  const $ = (id) => document.getElementById(id);
  const status = $('status');
  const button = document.querySelector('#say button');
  $('room').textContent = room;
  $('destination').textContent = destination;
  $('name').value = params.get('name') || localStorage.getItem('chat-name') || '';

  const show = (state, text) => {
    status.dataset.state = state;
    status.textContent = text;
    button.disabled = state !== 'connected';
  };

  const append = (from, text, mine) => {
    const li = document.createElement('li');
    li.className = mine ? 'mine' : '';
    const who = document.createElement('span');
    who.className = 'from';
    who.textContent = from;
    const at = document.createElement('span');
    at.className = 'at';
    at.textContent = new Date().toLocaleTimeString();
    li.append(who, document.createTextNode(text), at);
    $('messages').append(li);
    li.scrollIntoView({ block: 'end' });
  };

  const client = new StompJs.Client({
    brokerURL,
    heartbeatIncoming: 10000,
    heartbeatOutgoing: 10000,
    reconnectDelay: 2000,
    onConnect: (frame) => {
      show('connected', `connected to ${brokerURL}: STOMP ${frame.headers.version}, ${frame.headers.session}`);
      client.subscribe(destination, (message) => {
        let body;
        try {
          body = JSON.parse(message.body);
        } catch {
          body = { from: '?', text: message.body };
        }
        append(String(body.from ?? '?'), String(body.text ?? ''), body.from === $('name').value.trim());
      });
    },
    onStompError: (frame) => show('closed', `broker error: ${frame.headers.message}`),
    onWebSocketClose: () => show('closed', `disconnected from ${brokerURL}; retrying…`),
  });
  client.activate();

  $('say').addEventListener('submit', (event) => {
    event.preventDefault();
    const from = $('name').value.trim();
    const text = $('text').value.trim();
    if (!from || !text) return;
    localStorage.setItem('chat-name', from);
    client.publish({ destination, body: JSON.stringify({ from, text }), headers: { 'content-type': 'application/json' } });
    $('text').value = '';
    $('text').focus();
  });
})();
