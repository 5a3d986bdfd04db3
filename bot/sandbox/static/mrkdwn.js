// Slack mrkdwn -> DOM. Built with createElement/textContent only: no HTML string ever reaches
// the page, so a customer called "<img onerror=...>" or "<!channel>" stays text.
(function (global) {
  "use strict";

  const EMOJI = {
    warning: "\u26a0\ufe0f", white_check_mark: "\u2705", small_orange_diamond: "\ud83d\udd38", x: "\u274c", email: "\u2709\ufe0f",
    chart_with_upwards_trend: "\ud83d\udcc8", chart_with_downwards_trend: "\ud83d\udcc9",
    moneybag: "\ud83d\udcb0", star: "\u2b50", fire: "\ud83d\udd25", tada: "\ud83c\udf89",
    wave: "\ud83d\udc4b", zzz: "\ud83d\udca4", bell: "\ud83d\udd14", mag: "\ud83d\udd0d",
    information_source: "\u2139\ufe0f", hourglass: "\u231b", arrow_up: "\u2b06\ufe0f",
    arrow_down: "\u2b07\ufe0f", small_red_triangle: "\ud83d\udd3a",
    small_red_triangle_down: "\ud83d\udd3b", heavy_check_mark: "\u2714\ufe0f",
    no_entry_sign: "\ud83d\udeab", sparkles: "\u2728", crown: "\ud83d\udc51",
    rotating_light: "\ud83d\udea8", eyes: "\ud83d\udc40", calendar: "\ud83d\udcc6",
    point_down: "\ud83d\udc47", point_right: "\ud83d\udc49", grey_question: "\u2754",
    no_entry: "\u26d4", hourglass_flowing_sand: "\u23f3", clipboard: "\ud83d\udccb",
    test_tube: "\ud83e\uddea", arrows_counterclockwise: "\ud83d\udd04", money_with_wings: "\ud83d\udcb8",
    mute: "\ud83d\udd07", red_circle: "\ud83d\udd34", house: "\ud83c\udfe0", zap: "\u26a1",
  };
  const WORD = /[A-Za-z0-9]/;
  const STYLES = { "*": "strong", "_": "em", "~": "s" };

  function decode(s) {
    return s.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
  }

  function emoji(s) {
    return s.replace(/:([a-z0-9_+-]+):/g, (m, name) => EMOJI[name] || m);
  }

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function appendText(parent, s) {
    s.split("\n").forEach((line, i) => {
      if (i) parent.appendChild(document.createElement("br"));
      if (line) parent.appendChild(document.createTextNode(emoji(decode(line))));
    });
  }

  function safeUrl(url) {
    return /^(https?:|mailto:)/i.test(url) ? url : null;
  }

  // <@U1|name>, <#C1|name>, <!here>, <!date^ts^fmt|fallback>, <url|label>
  function angle(inner, ctx) {
    const bar = inner.indexOf("|");
    const target = bar === -1 ? inner : inner.slice(0, bar);
    const label = bar === -1 ? "" : decode(inner.slice(bar + 1));
    if (target.startsWith("@")) {
      const id = target.slice(1);
      return el("span", "mention", "@" + (label || (ctx.users && ctx.users[id]) || id));
    }
    if (target.startsWith("#")) {
      const id = target.slice(1);
      return el("span", "mention", "#" + (label || (ctx.channels && ctx.channels[id]) || id));
    }
    if (target.startsWith("!")) {
      const word = target.slice(1).split("^")[0];
      if (["channel", "here", "everyone"].includes(word)) return el("span", "mention", "@" + word);
      return document.createTextNode(label || word);
    }
    const url = safeUrl(decode(target));
    if (!url) return document.createTextNode(label || decode(target));
    const a = el("a", "link", label || url);
    a.href = url;
    a.target = "_blank";
    a.rel = "noopener noreferrer";
    return a;
  }

  function closing(s, i, mark) {
    for (let j = i + 2; j < s.length; j++) {
      if (s[j] === "\n") return -1;
      if (s[j] === mark && s[j - 1] !== " " && !(j + 1 < s.length && WORD.test(s[j + 1]))) {
        return j;
      }
    }
    return -1;
  }

  function inline(s, parent, ctx) {
    let buf = "";
    const flush = () => {
      if (buf) appendText(parent, buf);
      buf = "";
    };
    let i = 0;
    while (i < s.length) {
      const c = s[i];
      if (s.startsWith("```", i)) {
        const end = s.indexOf("```", i + 3);
        if (end !== -1) {
          flush();
          parent.appendChild(el("pre", "code-block", decode(s.slice(i + 3, end).replace(/^\n/, ""))));
          i = end + 3;
          continue;
        }
      }
      if (c === "`") {
        const end = s.indexOf("`", i + 1);
        if (end > i + 1) {
          flush();
          parent.appendChild(el("code", null, decode(s.slice(i + 1, end))));
          i = end + 1;
          continue;
        }
      }
      if (c === "<") {
        const end = s.indexOf(">", i + 1);
        if (end !== -1) {
          flush();
          parent.appendChild(angle(s.slice(i + 1, end), ctx));
          i = end + 1;
          continue;
        }
      }
      if (STYLES[c] && (i === 0 || !WORD.test(s[i - 1])) && s[i + 1] && s[i + 1] !== " ") {
        const end = closing(s, i, c);
        if (end !== -1) {
          flush();
          const node = el(STYLES[c]);
          inline(s.slice(i + 1, end), node, ctx);
          parent.appendChild(node);
          i = end + 1;
          continue;
        }
      }
      buf += c;
      i++;
    }
    flush();
  }

  function renderMrkdwn(text, ctx) {
    const span = el("span", "mrkdwn");
    inline(String(text || ""), span, ctx || {});
    return span;
  }

  function renderPlain(text) {
    return el("span", "plain", emoji(String(text || "")));
  }

  global.Mrkdwn = { renderMrkdwn, renderPlain, safeUrl, el, emoji };
})(window);
