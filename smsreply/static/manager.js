/* smsreply manager: the live SMS counter (with smart encoding), a quick phone-number check,
   showing only the chosen action's fields, and the test console's conversation picker.
   Everything works without this file except the live counter; the server validates for
   real. countSegments is a port of smsreply/text/segments.py, smartEncode of
   smsreply/text/smart_encoding.py (tests/test_manager_counter.py compares them). */
"use strict";

const GSM7_BASIC =
  "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
  "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
const GSM7_EXTENSION = "^{}\\[~]|€\f";

/* Smart encoding: a copy of REPLACEMENTS in smsreply/text/smart_encoding.py (a test compares
   them). Used only when the result is GSM-7 in no more parts than the text as typed. */
const SMART_REPLACEMENTS = {
  "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "\u02bc": "'",
  "\u2039": "'", "\u203a": "'", "\u201c": "\"", "\u201d": "\"", "\u201e": "\"", "\u201f": "\"",
  "\u2033": "\"", "\u00ab": "\"", "\u00bb": "\"", "\u2010": "-", "\u2011": "-", "\u2012": "-",
  "\u2013": "-", "\u2014": "-", "\u2015": "-", "\u2212": "-", "\u2026": "...", "\u00a0": " ",
  "\u2000": " ", "\u2001": " ", "\u2002": " ", "\u2003": " ", "\u2004": " ", "\u2005": " ",
  "\u2006": " ", "\u2007": " ", "\u2008": " ", "\u2009": " ", "\u200a": " ", "\u202f": " ",
  "\u205f": " ", "\u3000": " ", "\u00ad": "", "\u200b": "", "\u200c": "", "\u200d": "", "\u2060":
  "", "\ufeff": ""
};

function replaceTypographic(text) {
  let out = "";
  for (const char of text) out += char in SMART_REPLACEMENTS ? SMART_REPLACEMENTS[char] : char;
  return out;
}

function smartEncode(text) {
  const candidate = replaceTypographic(text);
  if (candidate === text) return text;
  const before = countSegments(text);
  const after = countSegments(candidate);
  return after.encoding === "gsm7" && after.parts <= before.parts ? candidate : text;
}

/* The distinct characters outside GSM-7, in order: why a text is UCS-2. */
function ucs2Characters(text) {
  const seen = [];
  for (const char of text) {
    if (!GSM7_BASIC.includes(char) && !GSM7_EXTENSION.includes(char) && !seen.includes(char)) {
      seen.push(char);
    }
  }
  return seen;
}

/* GSM 03.38 when every character is in the basic or extension table (extension
   characters take two septets): 160 in one SMS, 153 per part. Otherwise UCS-2, counted
   in UTF-16 units (an emoji is 2): 70 in one SMS, 67 per part. One part, one credit.
   A two-unit character never straddles two parts: it starts the next one whole. */
function countSegments(text) {
  const sizes = [];
  let gsm7 = true;
  for (const char of text) {
    if (GSM7_EXTENSION.includes(char)) {
      sizes.push(2);
    } else if (GSM7_BASIC.includes(char)) {
      sizes.push(1);
    } else {
      gsm7 = false;
      break;
    }
  }
  if (!gsm7) {
    sizes.length = 0;
    for (const char of text) sizes.push(char.length); /* UTF-16: an emoji's length is 2 */
  }
  const units = sizes.reduce((sum, size) => sum + size, 0);
  const [single, perPart] = gsm7 ? [160, 153] : [70, 67];
  let parts = 1;
  if (units > single) {
    let used = 0;
    for (const size of sizes) {
      if (used + size > perPart) {
        parts += 1;
        used = 0;
      }
      used += size;
    }
  }
  return { encoding: gsm7 ? "gsm7" : "ucs2", units, parts };
}

function capacity(segments) {
  const gsm7 = segments.encoding === "gsm7";
  if (segments.parts === 1) return gsm7 ? 160 : 70;
  return segments.parts * (gsm7 ? 153 : 67);
}

/* A hint only: French metropolitan mobiles are 06 or 07 and eight more digits. */
function looksLikeFrenchMobile(value) {
  let number = value.replace(/[\s.\-()]/g, "");
  if (number.startsWith("00")) number = "+" + number.slice(2);
  if (number.startsWith("+33")) number = "0" + number.slice(3).replace(/^0/, "");
  return /^0[67]\d{8}$/.test(number);
}

/* Catalogue strings keep Python's %(name)s placeholders: fill them the same way. */
function fill(template, values) {
  return template.replace(/%\((\w+)\)s/g, (whole, name) =>
    name in values ? String(values[name]) : whole
  );
}

/* Mirrors smsreply/web/manager/counter.py; the strings come from the page's catalogue.
   Plurals: n is at least 1 here, where English and French agree (one for 1 only). */
function showChar(char, template) {
  if (/^[\s\p{C}\p{Z}]$/u.test(char)) {
    return "U+" + char.codePointAt(0).toString(16).toUpperCase().padStart(4, "0");
  }
  return fill(template, { char });
}

function liveCounter(textarea) {
  const output = document.getElementById(textarea.dataset.counter);
  if (!output) return;
  const why = document.getElementById(output.id.replace("-counter", "-why"));
  const smartBox = document.getElementById(textarea.dataset.smart);
  const data = output.dataset;
  const maxParts = Number(data.maxParts);
  const update = () => {
    const typed = textarea.value;
    const sent = smartBox && smartBox.checked ? smartEncode(typed) : typed;
    const segments = countSegments(sent);
    const credits = fill(segments.parts === 1 ? data.creditOne : data.creditOther, {
      num: segments.parts,
    });
    let text = fill(data.template, {
      units: segments.units,
      capacity: capacity(segments),
      parts: segments.parts,
      credits,
      encoding: data[segments.encoding],
    });
    const over = segments.parts > maxParts;
    if (over) text += " " + data.tooLong;
    output.textContent = text;
    output.classList.toggle("over", over);
    if (!why) return;
    const notes = [];
    if (segments.encoding === "ucs2") {
      const chars = ucs2Characters(sent).slice(0, 10).map((c) => showChar(c, data.char));
      notes.push(fill(data.because, { chars: chars.join(", ") }));
      const cheaper = smartBox && !smartBox.checked ? smartEncode(typed) : typed;
      if (cheaper !== typed) {
        const parts = countSegments(cheaper).parts;
        notes.push(fill(parts === 1 ? data.wouldOne : data.wouldOther, { num: parts }));
      }
    }
    if (sent !== typed) {
      const replaced = [...typed].filter((c) => c in SMART_REPLACEMENTS).length;
      notes.push(fill(replaced === 1 ? data.replacedOne : data.replacedOther, { num: replaced }));
    }
    why.textContent = notes.join(" ");
  };
  textarea.addEventListener("input", update);
  if (smartBox) smartBox.addEventListener("change", update);
  update();
}

function phoneCheck(input) {
  const message = document.getElementById(input.dataset.phoneCheck);
  if (!message) return;
  const check = () => {
    const bad = input.value.trim() !== "" && !looksLikeFrenchMobile(input.value);
    message.textContent = bad ? input.dataset.invalidText : "";
    if (bad) input.setAttribute("aria-invalid", "true");
    else if (!document.getElementById(input.id + "-error")) input.removeAttribute("aria-invalid");
  };
  input.addEventListener("blur", check);
  input.addEventListener("input", () => {
    if (message.textContent) check(); /* clear the hint as soon as it is fixed */
  });
}

function actionPanels(form) {
  const radios = form.querySelectorAll('input[type="radio"][name="action"]');
  const panels = form.querySelectorAll("[data-action-panel]");
  const show = () => {
    const checked = form.querySelector('input[name="action"]:checked');
    const chosen = checked ? checked.value : "none";
    panels.forEach((panel) => {
      panel.hidden = !panel.dataset.actionPanel.split(" ").includes(chosen);
    });
  };
  radios.forEach((radio) => radio.addEventListener("change", show));
  show();
}

/* Picking a conversation in the test console fills in its number, short code and tag, as
   OVH would echo them (the server fills the same ones when the page is opened for one). */
function conversationFill(select) {
  const targets = select.dataset.fills.split(" ").map((id) => document.getElementById(id));
  const keys = ["sender", "shortcode", "tag"];
  select.addEventListener("change", () => {
    const option = select.selectedOptions[0];
    targets.forEach((input, index) => {
      if (!input) return;
      input.value = option && option.value ? option.dataset[keys[index]] || "" : "";
      input.classList.add("filled");
    });
  });
}

if (typeof document !== "undefined") {
  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("select[data-fills]").forEach(conversationFill);
    document.querySelectorAll("textarea[data-counter]").forEach(liveCounter);
    document.querySelectorAll("input[data-phone-check]").forEach(phoneCheck);
    document.querySelectorAll("form.options").forEach(actionPanels);
  });
  window.smsreply = { countSegments, smartEncode, ucs2Characters, looksLikeFrenchMobile };
}
if (typeof module !== "undefined") {
  module.exports = {
    countSegments,
    smartEncode,
    ucs2Characters,
    looksLikeFrenchMobile,
    SMART_REPLACEMENTS,
  };
}
