/* smsreply manager: the live SMS counter, a quick phone-number check, and showing only
   the chosen action's fields. Everything works without this file except the live counter;
   the server validates for real. countSegments is a port of smsreply/segments.py. */
"use strict";

const GSM7_BASIC =
  "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
  "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
const GSM7_EXTENSION = "^{}\\[~]|€\f";

/* GSM 03.38 when every character is in the basic or extension table (extension
   characters take two septets): 160 in one SMS, 153 per part. Otherwise UCS-2, counted
   in UTF-16 units (an emoji is 2): 70 in one SMS, 67 per part. One part, one credit. */
function countSegments(text) {
  let units = 0;
  let gsm7 = true;
  for (const char of text) {
    if (GSM7_EXTENSION.includes(char)) {
      units += 2;
    } else if (GSM7_BASIC.includes(char)) {
      units += 1;
    } else {
      gsm7 = false;
      break;
    }
  }
  if (gsm7) {
    return { encoding: "gsm7", units, parts: units <= 160 ? 1 : Math.ceil(units / 153) };
  }
  units = text.length; /* JavaScript strings are UTF-16: length counts code units */
  return { encoding: "ucs2", units, parts: units <= 70 ? 1 : Math.ceil(units / 67) };
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

function fill(template, values) {
  return template.replace(/\{(\w+)\}/g, (whole, name) =>
    name in values ? String(values[name]) : whole
  );
}

function liveCounter(textarea) {
  const output = document.getElementById(textarea.dataset.counter);
  if (!output) return;
  const maxParts = Number(output.dataset.maxParts);
  const update = () => {
    const segments = countSegments(textarea.value);
    let text = fill(output.dataset.template, {
      units: segments.units,
      capacity: capacity(segments),
      parts: segments.parts,
      credits: segments.parts,
      encoding: output.dataset[segments.encoding],
    });
    const over = segments.parts > maxParts;
    if (over) text += " " + fill(output.dataset.tooLong, { max: maxParts });
    output.textContent = text;
    output.classList.toggle("over", over);
  };
  textarea.addEventListener("input", update);
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
      panel.hidden = panel.dataset.actionPanel !== chosen;
    });
  };
  radios.forEach((radio) => radio.addEventListener("change", show));
  show();
}

if (typeof document !== "undefined") {
  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("textarea[data-counter]").forEach(liveCounter);
    document.querySelectorAll("input[data-phone-check]").forEach(phoneCheck);
    document.querySelectorAll("form.options").forEach(actionPanels);
  });
  window.smsreply = { countSegments, looksLikeFrenchMobile };
}
if (typeof module !== "undefined") {
  module.exports = { countSegments, looksLikeFrenchMobile };
}
