// The page: polls /sandbox/state, draws the current channel (or the app's Home tab), the
// Outbox and the activity log, and turns the composer, buttons, shortcuts and the digest
// control into requests to the sandbox.
(function () {
  "use strict";
  const { el, renderMrkdwn } = window.Mrkdwn;
  const { renderBlocks, renderAttachments, valuesOf, restoreValues } = window.Blocks;
  const EXAMPLES = ["/clv 42", "/clv segment champions", "/clv dormant", "/clv overdue", "/clv model", "/clv channels", "/clv cohorts", "/clv nps channel", "/clv subscriptions", "/clv help"];
  const POLL_MS = 400;
  const $ = (id) => document.getElementById(id);

  const view = { version: -1, data: null, channel: null, dismissed: new Set(), seen: {}, history: [], back: 0,
    modal: null, closedModals: new Set(), mode: "channel", homeKey: null, examples: null,
    draft: null, draftKey: "", typing: null };

  async function post(path, body) {
    const response = await fetch(path, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    return response.json();
  }

  async function poll() {
    try {
      const response = await fetch("/sandbox/state?since=" + view.version);
      const data = await response.json();
      document.body.classList.remove("offline");
      if (!data.unchanged) {
        view.version = data.version;
        view.data = data;
        render();
      }
    } catch (error) {
      document.body.classList.add("offline");
    }
    setTimeout(poll, POLL_MS);
  }

  function refresh() {
    view.version = -1; // the next poll redraws everything
  }

  function context() {
    const data = view.data;
    const users = { [data.user.id]: data.user.name, [data.bot.id]: data.bot.name };
    const channels = Object.fromEntries(data.channels.map((c) => [c.id, c.name]));
    return { users, channels, onAction: null };
  }

  function channelMessages(channel) {
    return view.data.messages.filter((m) => m.channel === channel && !view.dismissed.has(m.channel + m.ts));
  }

  function renderChannels() {
    const list = $("channels");
    list.replaceChildren();
    for (const c of view.data.channels) {
      const count = channelMessages(c.id).length;
      if (c.id === view.channel) view.seen[c.id] = count;
      const active = c.id === view.channel && view.mode === "channel";
      const item = el("li", active ? "active" : "", "# " + c.name);
      item.dataset.channel = c.id;
      if (count > (view.seen[c.id] || 0)) item.appendChild(el("span", "unread", "\u25cf"));
      item.addEventListener("click", () => switchTo(c.id));
      list.appendChild(item);
    }
  }

  function author(m) {
    if (m.user === "USLACKBOT") return ["Slackbot", "S", false];
    if (m.user === view.data.bot.id) return ["clvbot", "C", true];
    return [view.data.user.name, "Y", false];
  }

  function renderMessage(m, ctx, isReply) {
    const [name, letter, app] = author(m);
    const node = el("div", "message" + (m.ephemeral ? " ephemeral" : "") + (isReply ? " reply" : ""));
    node.dataset.ts = m.ts;
    node.title = "via " + m.via;
    node.appendChild(el("div", "avatar" + (app ? " bot" : ""), letter));
    const body = node.appendChild(el("div", "message-body"));
    const meta = body.appendChild(el("div", "meta"));
    meta.appendChild(el("span", "author", name));
    if (app) meta.appendChild(el("span", "badge", "APP"));
    const time = new Date(parseFloat(m.ts) * 1000);
    meta.appendChild(el("span", "time", time.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })));
    if (m.edited) meta.appendChild(el("span", "edited", "(edited)"));
    const local = Object.assign({}, ctx, { onAction: (blockId, element, btn) => click(m, blockId, element, btn) });
    const content = body.appendChild(el("div", "content"));
    if (m.blocks && m.blocks.length) content.appendChild(renderBlocks(m.blocks, local));
    else content.appendChild(renderMrkdwn(m.text, ctx));
    if (m.attachments && m.attachments.length) body.appendChild(renderAttachments(m.attachments, local));
    for (const f of m.files || []) body.appendChild(renderFile(f));
    if (!m.ephemeral && shortcutsOf("message").length) {
      const more = node.appendChild(el("button", "more-actions", "\u22ef"));
      more.type = "button";
      more.title = "More actions";
      more.setAttribute("aria-label", "More actions");
      more.addEventListener("click", (e) => {
        e.stopPropagation();
        openMenu(more, shortcutsOf("message"), (s) => shortcut(s, { channel: m.channel, ts: m.ts }));
      });
    }
    if (m.metadata) {
      body.appendChild(el("div", "metadata", "metadata: " + m.metadata.event_type));
    }
    if (m.ephemeral) {
      const note = body.appendChild(el("div", "ephemeral-note", "\ud83d\udc41 Only visible to you \u00b7 "));
      const dismiss = note.appendChild(el("a", "dismiss", "Dismiss message"));
      dismiss.href = "#";
      dismiss.addEventListener("click", (e) => {
        e.preventDefault();
        view.dismissed.add(m.channel + m.ts);
        render();
      });
    }
    return node;
  }

  function renderFile(f) {
    const box = el("div", "file");
    box.appendChild(el("div", "file-title", f.title || f.name));
    const src = "/files/" + encodeURIComponent(f.id);
    if (f.mimetype === "image/png") {
      const img = box.appendChild(el("img", "file-image"));
      img.src = src;
      img.alt = f.alt_txt || f.title || f.name;
    } else {
      const a = box.appendChild(el("a", "link", f.name));
      a.href = src;
    }
    return box;
  }

  function renderMessages() {
    const list = $("messages");
    const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
    const ctx = context();
    const messages = channelMessages(view.channel).sort((a, b) => parseFloat(a.ts) - parseFloat(b.ts));
    const present = new Set(messages.map((m) => m.ts));
    const replies = {};
    const top = [];
    for (const m of messages) {
      if (m.thread_ts && m.thread_ts !== m.ts && present.has(m.thread_ts)) {
        (replies[m.thread_ts] = replies[m.thread_ts] || []).push(m);
      } else top.push(m);
    }
    list.replaceChildren();
    if (!top.length) list.appendChild(el("div", "empty", "No messages yet. Try one of the commands below."));
    for (const m of top) {
      list.appendChild(renderMessage(m, ctx, false));
      for (const r of replies[m.ts] || []) list.appendChild(renderMessage(r, ctx, true));
    }
    if (atBottom || view.stick) list.scrollTop = list.scrollHeight;
    view.stick = false;
  }

  function renderOutbox() {
    const outbox = view.data.outbox;
    const port = view.data.config.smtp_port;
    $("outbox-count").textContent = outbox.length ? String(outbox.length) : "";
    $("outbox-note").textContent = port
      ? "Emails sent to the local SMTP server 127.0.0.1:" + port + " land here; nobody receives them."
      : "No local SMTP server is running.";
    const list = $("outbox");
    list.replaceChildren();
    for (const mail of outbox.slice().reverse()) {
      const item = list.appendChild(el("article", "email"));
      item.appendChild(el("div", "email-subject", mail.subject || "(no subject)"));
      item.appendChild(el("div", "email-meta", "to " + mail.to.join(", ") + " \u00b7 from " + mail.from));
      item.appendChild(el("pre", "email-text", mail.text));
    }
  }

  function renderActivity() {
    const list = $("activity");
    list.replaceChildren();
    for (const a of view.data.activity.slice().reverse()) {
      const row = list.appendChild(el("div", "activity " + (a.ok ? "ok" : "failed")));
      row.appendChild(el("span", "activity-kind", a.kind));
      row.appendChild(el("span", "activity-name", a.name));
      if (a.detail) row.appendChild(el("span", "activity-detail", a.detail));
    }
  }

  // The modal the bot opened (views.open), the top of its stack (views.push). Its DOM is kept
  // while the same view is shown, so the second click of a double click lands on the same Send
  // button; an update (views.update, response_action update) redraws it, keeping what was typed.
  function renderModal() {
    const modal = view.data.modal;
    const backdrop = $("modal-backdrop");
    if (!modal || view.closedModals.has(modal.id)) {
      backdrop.hidden = true;
      view.modal = null;
      return;
    }
    if (view.modal && view.modal.id === modal.id && view.modal.hash === modal.hash) return;
    const typed = view.modal && view.modal.id === modal.id ? valuesOf($("modal-body")) : null;
    view.modal = modal;
    $("modal-title").textContent = (modal.title && modal.title.text) || "";
    drawModalBody(modal, {});
    if (typed) restoreValues($("modal-body"), typed);
    const submit = $("modal-submit");
    submit.hidden = !modal.submit;
    submit.textContent = modal.submit ? modal.submit.text : "";
    const pushed = view.data.modal_depth > 1;
    $("modal-close").textContent = (modal.close && modal.close.text) || (pushed ? "Back" : "Cancel");
    $("modal-error").textContent = "";
    backdrop.hidden = false;
  }

  function drawModalBody(modal, errors) {
    const ctx = Object.assign(context(), { errors: errors, onAction: (key, element, node) => viewAction(modal, key, element, node, $("modal-body")) });
    $("modal-body").replaceChildren(renderBlocks(modal.blocks, ctx));
  }

  function showErrors(errors) {
    const typed = valuesOf($("modal-body"));
    drawModalBody(view.modal, errors);
    restoreValues($("modal-body"), typed);
  }

  function hideModal(id) {
    view.closedModals.add(id);
    view.modal = null;
    $("modal-backdrop").hidden = true;
  }

  // Send: every click is a submission (as in Slack, a quick double click can send two); the
  // modal stays until the bot's acknowledgement closes it.
  async function submitModal() {
    if (!view.modal) return;
    const id = view.modal.id;
    try {
      const result = await post("/sandbox/view", { view_id: id, action: "submit", values: valuesOf($("modal-body")) });
      if (result.closed) hideModal(id);
      else if (result.errors) showErrors(result.errors);
      else if (!result.ok) $("modal-error").textContent = "We had some trouble connecting (" + result.error + "). Try again?";
    } finally {
      refresh();
    }
  }

  async function closeModal() {
    if (!view.modal) return;
    const id = view.modal.id;
    hideModal(id);
    try {
      await post("/sandbox/view", { view_id: id, action: "close" });
    } finally {
      refresh();
    }
  }

  // A button or select in a view (the Home tab, a modal): block_actions with the view.
  async function viewAction(shown, key, element, node, root) {
    if (element.type === "button") {
      node.disabled = true;
      node.classList.add("pending");
    }
    try {
      await post("/sandbox/action", { view_id: shown.id, block_id: key, action_id: element.action_id, values: valuesOf(root) });
    } finally {
      setTimeout(() => { node.disabled = false; node.classList.remove("pending"); }, 600);
      refresh();
    }
  }

  // The app's Home tab: the view views.publish set for this user, redrawn when it changes.
  function renderHome() {
    const home = view.data.home;
    const key = home ? home.id + home.hash : "none";
    if (view.homeKey === key) return;
    view.homeKey = key;
    const box = $("home");
    if (!home) {
      const enabled = view.data.config.home_enabled;
      box.replaceChildren(el("div", "empty", enabled ? "clvbot has not published a Home tab for you yet\u2026" : "This app has no Home tab."));
      return;
    }
    const ctx = Object.assign(context(), { onAction: (k, element, node) => viewAction(home, k, element, node, box) });
    box.replaceChildren(renderBlocks(home.blocks, ctx));
  }

  // Shortcuts (manifest features.shortcuts): the composer's \u26a1 menu for global ones, each
  // message's \u22ef menu for message ones. One floating menu, outside the redrawn messages.
  function shortcutsOf(type) {
    return ((view.data && view.data.config.shortcuts) || []).filter((s) => s.type === type);
  }

  function openMenu(anchor, items, choose) {
    const menu = $("menu");
    menu.replaceChildren();
    for (const item of items) {
      const row = menu.appendChild(el("button", "menu-item"));
      row.type = "button";
      row.setAttribute("role", "menuitem");
      row.appendChild(el("span", "menu-name", item.name));
      row.appendChild(el("span", "menu-app", "clvbot"));
      row.addEventListener("click", () => { closeMenu(); choose(item); });
    }
    const box = anchor.getBoundingClientRect();
    menu.hidden = false;
    const top = box.bottom + 4 + menu.offsetHeight > window.innerHeight ? box.top - menu.offsetHeight - 4 : box.bottom + 4;
    menu.style.top = Math.max(4, top) + "px";
    const right = box.left + menu.offsetWidth > window.innerWidth - 4; // a message's \u22ef: align its right edge
    menu.style.left = Math.max(4, right ? box.right - menu.offsetWidth : box.left) + "px";
  }

  function closeMenu() {
    $("menu").hidden = true;
  }

  async function shortcut(item, where) {
    try {
      await post("/sandbox/shortcut", Object.assign({ callback_id: item.callback_id, channel: view.channel }, where || {}));
    } finally {
      refresh();
    }
  }

  async function openHome(tab) {
    if (tab === "messages") {
      const result = await post("/sandbox/home", { tab: "messages" });
      view.mode = "channel";
      switchTo(result.channel);
      return;
    }
    view.mode = "home";
    view.homeKey = null;
    render();
    try {
      await post("/sandbox/home", { tab: "home" });
    } finally {
      refresh();
    }
  }

  function render() {
    if (!view.data) return;
    if (!view.channel) view.channel = view.data.channels[0].id;
    const channel = view.data.channels.find((c) => c.id === view.channel) || view.data.channels[0];
    const home = view.mode === "home";
    $("channel-title").textContent = home ? "clvbot" : "# " + channel.name;
    $("app-tabs").hidden = !home && !channel.id.startsWith("D");
    for (const tab of document.querySelectorAll("#app-tabs .tab")) {
      tab.classList.toggle("active", (tab.dataset.tab === "home") === home);
      if (tab.dataset.tab === "messages") tab.hidden = !view.data.config.messages_tab;
    }
    $("app-home-link").classList.toggle("active", home);
    $("messages").hidden = home;
    $("composer").hidden = home;
    $("home").hidden = !home;
    $("composer-input").placeholder = "Message #" + channel.name + " \u2014 try /clv 42";
    $("shortcuts-button").hidden = !shortcutsOf("global").length;
    const digest = $("post-digest");
    digest.title = view.data.config.digest_wired ? "Runs the real weekly digest job now" : "No digest job is wired in yet";
    renderExamples();
    renderChannels();
    if (home) renderHome();
    else renderMessages();
    renderPreview();
    renderOutbox();
    renderActivity();
    renderModal();
  }

  function switchTo(channel) {
    view.channel = channel;
    view.mode = "channel";
    view.stick = true;
    render();
  }

  async function click(message, blockId, element, btn) {
    btn.disabled = true;
    btn.classList.add("pending");
    try {
      await post("/sandbox/action", { channel: message.channel, ts: message.ts, block_id: blockId, action_id: element.action_id });
    } finally {
      setTimeout(() => { btn.disabled = false; btn.classList.remove("pending"); }, 600);
      refresh();
    }
  }

  async function send(event) {
    event.preventDefault();
    const input = $("composer-input");
    const text = input.value.trim();
    if (!text) return;
    view.history.push(text);
    view.back = 0;
    input.value = "";
    document.body.classList.add("busy");
    const draft = view.draft;
    view.draft = null;
    view.draftKey = "";
    clearTimeout(view.typing);
    renderPreview();
    try {
      await post("/sandbox/command", { channel: view.channel, text: text, draft: draft });
    } finally {
      document.body.classList.remove("busy");
      view.stick = true;
      refresh();
    }
  }

  async function postDigest() {
    const status = $("digest-status");
    status.textContent = "Posting\u2026";
    const result = await post("/sandbox/digest", {});
    status.textContent = result.status;
    status.className = result.ok ? "ok" : "failed";
    switchTo(view.data.config.digest_channel);
    refresh();
  }

  function recall(event) {
    if (event.key !== "ArrowUp" && event.key !== "ArrowDown") return;
    const h = view.history;
    if (!h.length) return;
    view.back = Math.max(0, Math.min(h.length, view.back + (event.key === "ArrowUp" ? 1 : -1)));
    event.target.value = view.back ? h[h.length - view.back] : "";
    event.preventDefault();
  }

  // Links typed in the composer under the app's unfurl domains are shared with the app before
  // the message is posted (link_shared, source "composer"); its preview shows above the input.
  function typedLinks(text) {
    const domains = view.data.config.unfurl_domains || [];
    const urls = text.match(/https?:\/\/[^\s<>|"]+/g) || [];
    return urls.map((u) => u.replace(/[.,;:!?)\]}']+$/, "")).filter((u) => {
      let host = "";
      try { host = new URL(u).hostname.toLowerCase(); } catch (e) { return false; }
      return domains.some((d) => host === d || host.endsWith("." + d));
    });
  }

  function typed() {
    clearTimeout(view.typing);
    view.typing = setTimeout(async () => {
      const text = $("composer-input").value;
      const key = view.channel + " " + typedLinks(text).join(" ");
      if (key === view.draftKey) return;
      view.draftKey = key;
      view.draft = null;
      renderPreview();
      if (!typedLinks(text).length) return;
      const result = await post("/sandbox/compose", { channel: view.channel, text: text });
      if (view.draftKey === key) view.draft = result.unfurl_id || null;
      refresh();
    }, 300);
  }

  function renderPreview() {
    const box = $("composer-preview");
    const preview = view.draft && view.data && (view.data.drafts || {})[view.draft];
    if (!preview) {
      box.replaceChildren();
      return;
    }
    if (box.dataset.key === view.draft + view.version) return;
    box.dataset.key = view.draft + view.version;
    box.replaceChildren(renderAttachments(preview.attachments, context()));
  }

  // The composer's hints: the commands, then what the demo adds (a customer link to paste ...).
  function renderExamples() {
    const texts = EXAMPLES.concat(view.data.config.examples || []);
    const key = texts.join("\n");
    if (view.examples === key) return;
    view.examples = key;
    const examples = $("examples");
    examples.replaceChildren();
    for (const text of texts) {
      const chip = examples.appendChild(el("button", "example" + (text.startsWith("/") ? "" : " hint"), text));
      chip.type = "button";
      chip.addEventListener("click", () => {
        $("composer-input").value = text;
        $("composer-input").focus();
        typed();
      });
    }
  }

  function init() {
    $("app-home-link").addEventListener("click", () => openHome("home"));
    for (const tab of document.querySelectorAll("#app-tabs .tab")) {
      tab.addEventListener("click", () => openHome(tab.dataset.tab));
    }
    $("shortcuts-button").addEventListener("click", (e) => {
      e.stopPropagation();
      openMenu($("shortcuts-button"), shortcutsOf("global"), (s) => shortcut(s));
    });
    document.addEventListener("click", (e) => { if (!$("menu").contains(e.target)) closeMenu(); });
    document.addEventListener("keydown", (e) => { if (e.key === "Escape") closeMenu(); });
    $("composer").addEventListener("submit", send);
    $("composer-input").addEventListener("keydown", recall);
    $("composer-input").addEventListener("input", typed);
    $("post-digest").addEventListener("click", postDigest);
    $("modal-submit").addEventListener("click", submitModal);
    $("modal-close").addEventListener("click", closeModal);
    $("composer-input").focus();
    poll();
  }

  init();
})();
