// Block Kit -> DOM: header, section (text, fields, accessory), context, divider, image,
// actions (buttons), a basic rich_text; anything else is shown as "unsupported".
(function (global) {
  "use strict";
  const { renderMrkdwn, renderPlain, safeUrl, el } = global.Mrkdwn;

  function text(obj, ctx) {
    if (!obj) return document.createTextNode("");
    return obj.type === "mrkdwn" ? renderMrkdwn(obj.text, ctx) : renderPlain(obj.text);
  }

  function imageSrc(obj) {
    if (obj.slack_file && obj.slack_file.id) return "/files/" + encodeURIComponent(obj.slack_file.id);
    const url = obj.image_url || (obj.slack_file && obj.slack_file.url) || "";
    if (url.startsWith("/files/")) return url;
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

  function button(element, block, ctx) {
    const btn = el("button", "b-button");
    btn.type = "button";
    if (element.style === "primary" || element.style === "danger") btn.classList.add(element.style);
    btn.textContent = global.Mrkdwn.emoji((element.text && element.text.text) || "");
    btn.dataset.actionId = element.action_id || "";
    btn.addEventListener("click", () => {
      const url = element.url && safeUrl(element.url);
      if (url) window.open(url, "_blank", "noopener");
      if (ctx.onAction) ctx.onAction(block.block_id, element, btn);
    });
    return btn;
  }

  function element(item, block, ctx) {
    if (item.type === "button") return button(item, block, ctx);
    if (item.type === "image") return image(item, "b-context-image");
    return el("span", "b-unsupported", "[" + item.type + "]");
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

  function block(b, ctx) {
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
          const acc = b.accessory.type === "image" ? image(b.accessory, "b-accessory-image") : element(b.accessory, b, ctx);
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
        for (const item of b.elements || []) node.appendChild(element(item, b, ctx));
        return node;
      }
      case "rich_text":
        return richText(b, ctx);
      default:
        return el("div", "b-unsupported", "Unsupported block: " + b.type);
    }
  }

  function renderBlocks(blocks, ctx) {
    const node = el("div", "blocks");
    for (const b of blocks || []) node.appendChild(block(b, ctx));
    return node;
  }

  global.Blocks = { renderBlocks };
})(window);
