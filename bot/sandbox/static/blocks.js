// Block Kit -> DOM: header, section (text, fields, accessory), context, divider, image,
// actions (buttons, selects), input (text inputs, selects), a basic rich_text, and an app's
// unfurl attachments; anything else is shown as "unsupported".
//
// A block is named by its block_id, or by its position ("#3") when the bot gave it none (the
// sandbox's server names it the same way). ctx.onAction(key, element, node) is called for a
// click or a choice; ctx.errors maps block keys to the messages shown under input blocks.
(function (global) {
  "use strict";
  const { renderMrkdwn, renderPlain, safeUrl, el } = global.Mrkdwn;
  const TEXT_INPUTS = { plain_text_input: "text", email_text_input: "email", url_text_input: "url", number_input: "number" };

  function text(obj, ctx) {
    if (!obj) return document.createTextNode("");
    return obj.type === "mrkdwn" ? renderMrkdwn(obj.text, ctx) : renderPlain(obj.text);
  }

  // An uploaded file is served by the sandbox at /files/<id>; a slack_file names it by id or by
  // its url_private (https://api.slack.com/reference/block-kit/composition-objects#slack_file).
  function imageSrc(obj) {
    const file = obj.slack_file || {};
    if (file.id) return "/files/" + encodeURIComponent(file.id);
    const url = obj.image_url || file.url || "";
    const local = url.match(/\/files\/(F[A-Z0-9]+)\/?$/);
    if (local) return "/files/" + local[1];
    return safeUrl(url) && /^https?:/i.test(url) ? url : null;
  }

  function image(obj, cls) {
    const src = imageSrc(obj);
    if (!src) return el("span", "b-unsupported", "[image: " + (obj.alt_text || "") + "]");
    const img = el("img", cls);
    img.src = src;
    img.alt = obj.alt_text || "";
    return img;
  }

  function button(element, key, ctx) {
    const btn = el("button", "b-button");
    btn.type = "button";
    if (element.style === "primary" || element.style === "danger") btn.classList.add(element.style);
    btn.textContent = global.Mrkdwn.emoji((element.text && element.text.text) || "");
    btn.dataset.actionId = element.action_id || "";
    btn.addEventListener("click", () => {
      const url = element.url && safeUrl(element.url);
      if (url) window.open(url, "_blank", "noopener");
      if (ctx.onAction) ctx.onAction(key, element, btn);
    });
    return btn;
  }

  function options(element) {
    const groups = element.option_groups || [];
    return [...(element.options || []), ...groups.flatMap((g) => g.options || [])];
  }

  function optionNode(option) {
    const node = el("option", null, (option.text && option.text.text) || option.value);
    node.value = option.value;
    return node;
  }

  // A select's state is read from the DOM: data-block-key, data-action-id, data-kind.
  function select(element, key, ctx, inInput) {
    const node = el("select", "b-select");
    node.dataset.blockKey = key;
    node.dataset.actionId = element.action_id || "";
    node.dataset.kind = "select";
    const placeholder = optionNode({ text: element.placeholder || { text: "Select an item" }, value: "" });
    placeholder.disabled = true;
    node.appendChild(placeholder);
    for (const option of element.options || []) node.appendChild(optionNode(option));
    for (const group of element.option_groups || []) {
      const optgroup = node.appendChild(el("optgroup"));
      optgroup.label = (group.label && group.label.text) || "";
      for (const option of group.options || []) optgroup.appendChild(optionNode(option));
    }
    node.value = (element.initial_option && element.initial_option.value) || "";
    if (!inInput) node.addEventListener("change", () => ctx.onAction && ctx.onAction(key, element, node));
    return node;
  }

  function textInput(element, key) {
    const node = element.multiline ? el("textarea", "b-input") : el("input", "b-input");
    if (!element.multiline) node.type = TEXT_INPUTS[element.type];
    node.dataset.blockKey = key;
    node.dataset.actionId = element.action_id || "";
    node.dataset.kind = "text";
    node.placeholder = (element.placeholder && element.placeholder.text) || "";
    node.value = element.initial_value || "";
    return node;
  }

  function element(item, key, ctx) {
    if (item.type === "button") return button(item, key, ctx);
    if (item.type === "image") return image(item, "b-context-image");
    if (item.type === "static_select") return select(item, key, ctx, false);
    return el("span", "b-unsupported", "[" + item.type + "]");
  }

  function input(b, key, ctx) {
    const node = el("div", "b-input-block");
    const label = node.appendChild(el("label", "b-label", (b.label && b.label.text) || ""));
    if (b.optional) label.appendChild(el("span", "b-optional", " (optional)"));
    const item = b.element || {};
    let field;
    if (TEXT_INPUTS[item.type]) field = textInput(item, key);
    else if (item.type === "static_select") field = select(item, key, ctx, true);
    else field = el("span", "b-unsupported", "[" + item.type + "]");
    field.id = "input-" + key.replace(/[^A-Za-z0-9_-]/g, "_");
    label.htmlFor = field.id;
    node.appendChild(field);
    if (b.hint) node.appendChild(el("div", "b-hint", b.hint.text || ""));
    const error = ctx.errors && ctx.errors[key];
    if (error) node.appendChild(el("div", "b-error", error));
    return node;
  }

  function richText(block, ctx) {
    const node = el("div", "b-rich");
    for (const part of block.elements || []) {
      const line = el(part.type === "rich_text_preformatted" ? "pre" : "div");
      for (const item of part.elements || []) {
        if (item.type === "text") line.appendChild(document.createTextNode(item.text || ""));
        else if (item.type === "link") line.appendChild(renderMrkdwn("<" + item.url + "|" + (item.text || item.url) + ">", ctx));
        else if (item.type === "user") line.appendChild(renderMrkdwn("<@" + item.user_id + ">", ctx));
        else if (item.type === "channel") line.appendChild(renderMrkdwn("<#" + item.channel_id + ">", ctx));
        else if (item.type === "emoji") line.appendChild(renderMrkdwn(":" + item.name + ":", ctx));
      }
      node.appendChild(line);
    }
    return node;
  }

  function block(b, key, ctx) {
    switch (b.type) {
      case "header":
        return el("div", "b-header", global.Mrkdwn.emoji((b.text && b.text.text) || ""));
      case "section": {
        const node = el("div", "b-section");
        const main = el("div", "b-section-main");
        if (b.text) main.appendChild(el("div", "b-section-text")).appendChild(text(b.text, ctx));
        if (b.fields) {
          const grid = el("div", "b-fields");
          for (const f of b.fields) grid.appendChild(el("div", "b-field")).appendChild(text(f, ctx));
          main.appendChild(grid);
        }
        node.appendChild(main);
        if (b.accessory) {
          const acc = b.accessory.type === "image" ? image(b.accessory, "b-accessory-image") : element(b.accessory, key, ctx);
          node.appendChild(el("div", "b-accessory")).appendChild(acc);
        }
        return node;
      }
      case "context": {
        const node = el("div", "b-context");
        for (const item of b.elements || []) {
          node.appendChild(item.type === "image" ? image(item, "b-context-image") : text(item, ctx));
        }
        return node;
      }
      case "divider":
        return el("hr", "b-divider");
      case "image": {
        const node = el("figure", "b-image");
        if (b.title) node.appendChild(el("figcaption", null, b.title.text || ""));
        node.appendChild(image(b, "b-image-img"));
        return node;
      }
      case "actions": {
        const node = el("div", "b-actions");
        for (const item of b.elements || []) node.appendChild(element(item, key, ctx));
        return node;
      }
      case "input":
        return input(b, key, ctx);
      case "rich_text":
        return richText(b, ctx);
      default:
        return el("div", "b-unsupported", "Unsupported block: " + b.type);
    }
  }

  function blockKey(b, i) {
    return b.block_id || "#" + i;
  }

  function renderBlocks(blocks, ctx) {
    const node = el("div", "blocks");
    (blocks || []).forEach((b, i) => {
      const drawn = node.appendChild(block(b, blockKey(b, i), ctx));
      drawn.dataset.blockKey = blockKey(b, i);
    });
    return node;
  }

  // What the inputs and selects under `root` hold, as the sandbox's /sandbox/view and
  // /sandbox/action take it: {block key: {action_id: {value} | {selected_option: {value}}}}.
  function valuesOf(root) {
    const values = {};
    for (const node of root.querySelectorAll("[data-kind]")) {
      const entry = node.dataset.kind === "text" ? { value: node.value } : { selected_option: node.value ? { value: node.value } : null };
      (values[node.dataset.blockKey] = values[node.dataset.blockKey] || {})[node.dataset.actionId] = entry;
    }
    return values;
  }

  // Carry what was typed and chosen over to a redrawn view (views.update keeps the input of
  // blocks with the same block_id and action_id).
  function restoreValues(root, values) {
    for (const node of root.querySelectorAll("[data-kind]")) {
      const entry = (values[node.dataset.blockKey] || {})[node.dataset.actionId];
      if (!entry) continue;
      if (node.dataset.kind === "text" && entry.value) node.value = entry.value;
      if (node.dataset.kind === "select" && entry.selected_option) node.value = entry.selected_option.value;
    }
  }

  // An app's unfurls under the message that carried the link (chat.unfurl), each with the
  // attachment's bar; blocks, or the legacy attachment fields.
  function renderAttachments(attachments, ctx) {
    const node = el("div", "attachments");
    for (const a of attachments || []) {
      const box = node.appendChild(el("div", "attachment" + (a.is_app_unfurl ? " unfurl" : "")));
      box.dataset.url = a.app_unfurl_url || a.original_url || "";
      if (a.blocks && a.blocks.length) box.appendChild(renderBlocks(a.blocks, ctx));
      else {
        if (a.title) box.appendChild(el("div", "attachment-title", a.title));
        if (a.text) box.appendChild(renderMrkdwn(a.text, ctx));
        for (const f of a.fields || []) box.appendChild(el("div", "attachment-field", (f.title || "") + ": " + (f.value || "")));
      }
      if (a.footer) box.appendChild(el("div", "attachment-footer", a.footer));
    }
    return node;
  }

  global.Blocks = { renderBlocks, renderAttachments, valuesOf, restoreValues, options };
})(window);
