// reviewq's only script besides htmx. No inline script anywhere: the CSP
// allows scripts from this origin only.
(function () {
  "use strict";

  function $(sel, root) { return (root || document).querySelector(sel); }
  function $all(sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); }

  // ---- The review queue -------------------------------------------------
  // The current row is the keyboard's cursor: j/k move it, o/Enter open it.
  // It is remembered by review id, so it survives rows being swapped by
  // the live refresh or a decision.
  var currentID = null;

  function rows() { return $all("#queue-rows tr.review-row"); }
  function workable() { return rows().filter(function (r) { return !r.classList.contains("decided"); }); }
  function currentRow() {
    return currentID ? document.getElementById("review-" + currentID) : null;
  }

  function setCurrent(row, focus) {
    rows().forEach(function (r) { r.classList.remove("current"); r.removeAttribute("aria-current"); r.tabIndex = -1; });
    if (!row) { currentID = null; return; }
    currentID = row.getAttribute("data-review-id");
    row.classList.add("current");
    row.setAttribute("aria-current", "true");
    row.tabIndex = 0;
    if (focus !== false) {
      row.focus({ preventScroll: true });
      row.scrollIntoView({ block: "nearest" });
    }
  }

  function move(step) {
    var list = workable();
    if (!list.length) return;
    var cur = currentRow();
    var i = cur ? list.indexOf(cur) : -1;
    if (i < 0) {
      // The current row was decided (or none yet): start from its place.
      var all = rows();
      var at = cur ? all.indexOf(cur) : -1;
      i = step > 0 ? -1 : list.length;
      if (at >= 0) {
        for (var k = 0; k < list.length; k++) {
          if (all.indexOf(list[k]) > at) { i = step > 0 ? k - 1 : k; break; }
        }
      }
    }
    var n = Math.max(0, Math.min(list.length - 1, i + step));
    setCurrent(list[n]);
    // At the end of a long list, j loads the next page.
    if (step > 0 && n === list.length - 1) {
      var more = $("#load-more button");
      if (more) more.click();
    }
  }

  function paneID() {
    var p = $("#review-pane");
    return p ? p.getAttribute("data-review-id") : null;
  }

  function open(row) {
    row = row || currentRow() || workable()[0];
    if (!row) return;
    setCurrent(row, false);
    var btn = $(".open-review", row);
    if (btn) btn.click();
  }

  // Act in the pane when it shows the current row; otherwise open it first.
  function paneReady() {
    var id = paneID();
    if (id && (!currentID || id === currentID)) return true;
    open();
    return false;
  }

  function submit(form) {
    if (!form) return;
    if (window.htmx) window.htmx.process(form);
    form.requestSubmit();
  }

  // A key can submit a form htmx has not wired up yet (it arrived a moment
  // ago): never let that become a full-page submit; hand it to htmx.
  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (ev.defaultPrevented || !form.hasAttribute || !(form.hasAttribute("hx-post") || form.hasAttribute("hx-get"))) return;
    ev.preventDefault();
    if (!window.htmx || form.getAttribute("data-rq-resubmitted")) return;
    form.setAttribute("data-rq-resubmitted", "1");
    window.htmx.process(form);
    setTimeout(function () { form.requestSubmit(); }, 0);
  });

  // decide submits an outcome's form, or first focuses its reasons.
  function decide(outcome) {
    var form = $("#pane form.decide-" + outcome);
    if (!form) return;
    if (!form.classList.contains("reason-form")) { submit(form); return; }
    var radio = $("input[type=radio]:checked", form) || $("input[type=radio]", form);
    form.scrollIntoView({ block: "nearest" });
    if (radio) radio.focus(); else $("button[type=submit]", form).focus();
  }

  function typing(el) {
    if (!el) return false;
    var tag = el.tagName;
    return tag === "TEXTAREA" || tag === "SELECT" || el.isContentEditable ||
      (tag === "INPUT" && el.type !== "checkbox" && el.type !== "radio");
  }

  function toggleHelp() {
    var d = $("#shortcuts");
    if (!d) return;
    if (d.open) d.close(); else d.showModal();
  }

  document.addEventListener("keydown", function (ev) {
    if (!$("#queue")) return;
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    var t = ev.target;
    if (ev.key === "Escape" && typing(t)) { t.blur(); setCurrent(currentRow()); return; }
    if ($("#shortcuts") && $("#shortcuts").open) return; // the dialog handles its own keys
    // In a reason list: digits pick the nth reason, Enter decides.
    var reasonForm = t && t.closest ? t.closest("form.reason-form") : null;
    if (reasonForm && t.type === "radio") {
      if (/^[1-9]$/.test(ev.key)) {
        var radios = $all("input[type=radio]", reasonForm);
        var r = radios[parseInt(ev.key, 10) - 1];
        if (r) { r.checked = true; r.focus(); }
        ev.preventDefault();
        return;
      }
      if (ev.key === "Enter") { ev.preventDefault(); submit(reasonForm); return; }
    }
    if (typing(t)) return;
    switch (ev.key) {
      case "j": move(1); break;
      case "k": move(-1); break;
      case "o": open(); break;
      case "Enter":
        if (t && t.tagName === "TR" && t.classList.contains("review-row")) { open(t); break; }
        return;
      case "c":
        if (paneReady()) { var b = $("#pane .claim-toggle"); if (b) b.click(); }
        break;
      case "x":
        var row = currentRow();
        var box = row && $("input[type=checkbox]", row);
        if (box) { box.checked = !box.checked; countSelected(); }
        break;
      case "/": var q = $("#q"); if (q) { q.focus(); q.select(); } break;
      case "?": toggleHelp(); break;
      default:
        // The decision keys come from the outcomes' rows of the help.
        var outcome = /^[a-z]$/.test(ev.key) && $('#shortcuts tr[data-decide-key="' + ev.key + '"]');
        if (!outcome) return;
        if (paneReady()) decide(outcome.getAttribute("data-outcome"));
    }
    ev.preventDefault();
  });

  document.addEventListener("click", function (ev) {
    var t = ev.target;
    if (!t.closest) return;
    if (t.closest("#shortcuts-open")) { toggleHelp(); return; }
    if (t.closest(".bulk-cancel")) { var d = $("#bulk-dialog"); if (d) d.textContent = ""; return; }
    var row = t.closest("#queue-rows tr.review-row");
    if (row) setCurrent(row, false);
  });

  // The search box searches as the operator types (the filter form's
  // "input" trigger; a blur does not cancel its delay). Its "change" on
  // blur would send the same search again, and pressing a row's Open
  // blurs the box: the rows were replaced between mousedown and mouseup
  // and the click was lost. So that change never reaches the form.
  document.addEventListener("change", function (ev) {
    if (ev.target && ev.target.id === "q") ev.stopPropagation();
  }, true);

  function countSelected() {
    var n = $all("#queue-rows input[type=checkbox]:checked").length;
    var el = $("#selected-count");
    if (el) el.textContent = String(n);
  }
  document.addEventListener("change", function (ev) {
    if (ev.target && ev.target.matches && ev.target.matches("#queue-rows input[type=checkbox]")) countSelected();
  });

  // The live refresh sends the rows on screen, and the last row's cursor
  // when the whole list is loaded, so new reviews can be appended.
  document.addEventListener("htmx:configRequest", function (ev) {
    var elt = ev.detail.elt;
    if (!elt || elt.id !== "queue-live") return;
    var ids = workable().map(function (r) { return r.getAttribute("data-review-id"); });
    ev.detail.parameters.ids = ids.slice(0, 500).join(",");
    var all = rows();
    if (!$("#load-more")) {
      // "start": the list is empty, so anything new belongs in it.
      ev.detail.parameters.after = all.length ? all[all.length - 1].getAttribute("data-cursor") || "" : "start";
    }
  });

  // A new page of results (filter change): start at the top.
  document.addEventListener("htmx:afterSettle", function (ev) {
    if (!$("#queue")) return;
    var target = ev.detail.target;
    if (target && target.id === "queue-results") { currentID = null; countSelected(); }
    tidy();
  });

  // The pane opened a review (also the "next" one after a decision): the
  // cursor follows it at once, so a key pressed right after acts on it.
  document.addEventListener("htmx:afterSwap", function (ev) {
    var target = ev.detail.target;
    if (!$("#queue") || !target || target.id !== "pane") return;
    var id = paneID();
    var row = id ? document.getElementById("review-" + id) : null;
    // Move focus to the row only when nothing else has it.
    var ae = document.activeElement;
    var free = !ae || ae === document.body || (ae.classList && ae.classList.contains("review-row"));
    if (row) setCurrent(row, free); else if (id) currentID = id; else setCurrent(null);
    target.scrollTop = 0;
    // One column (tablets): the pane sits below the list; bring it up.
    if (window.innerWidth <= 1100 && ev.detail.requestConfig && ev.detail.requestConfig.verb === "get") target.scrollIntoView({ block: "start" });
  });

  // After rows were swapped out of band (live refresh, a decision): keep
  // the cursor on its row and drop the empty-state row once rows arrived.
  function tidy() {
    var empty = $("#queue-rows tr.empty");
    if (empty && rows().length) empty.remove();
    var cur = currentRow();
    if (cur && !cur.classList.contains("current")) setCurrent(cur, document.activeElement === document.body);
    countSelected();
  }
  document.addEventListener("htmx:oobAfterSwap", tidy);

  // A new action clears the last error message.
  document.addEventListener("htmx:beforeRequest", function (ev) {
    var elt = ev.detail.elt;
    if (elt && elt.id === "queue-live") return;
    var flash = $("#flash");
    if (flash) flash.textContent = "";
  });

  document.addEventListener("DOMContentLoaded", function () {
    var id = paneID();
    var row = id && document.getElementById("review-" + id);
    if (row) setCurrent(row, false);
  });

  // ---- Issue 16: density, the pane as a sheet, the bulk bar, dialogs ----
  // Kept apart from the keyboard code above so the two evolve separately.

  // Compact rows (one line per lead), remembered in this browser.
  var densityKey = "reviewq.compact";
  function applyDensity() {
    var layout = $("#queue");
    var toggle = $("#density-toggle");
    if (!layout) return;
    var compact = false;
    try { compact = window.localStorage.getItem(densityKey) === "1"; } catch (e) { /* storage off: default */ }
    layout.classList.toggle("compact", compact);
    if (toggle) toggle.setAttribute("aria-pressed", compact ? "true" : "false");
  }
  function toggleDensity() {
    var layout = $("#queue");
    if (!layout) return;
    var compact = !layout.classList.contains("compact");
    try { window.localStorage.setItem(densityKey, compact ? "1" : "0"); } catch (e) { /* storage off: this page only */ }
    layout.classList.toggle("compact", compact);
    var toggle = $("#density-toggle");
    if (toggle) toggle.setAttribute("aria-pressed", compact ? "true" : "false");
  }

  // Tablets and phones: an open review is a full-screen sheet (CSS, under
  // body.pane-sheet); "← List" goes back to the list and its row.
  function syncSheet() {
    document.body.classList.toggle("pane-sheet", !!($("#queue") && paneID()));
  }
  function closeSheet() {
    var id = paneID();
    document.body.classList.remove("pane-sheet");
    var row = id && document.getElementById("review-" + id);
    if (row) setCurrent(row);
    if (window.history && window.history.pushState) {
      window.history.pushState({ htmx: true }, "", "/dashboard/review-queue" + window.location.search);
    }
  }

  // The bulk bar lists only the chosen action's reason codes; an action
  // without reasons hides the list.
  function syncBulkReasons() {
    var outcome = $("#bulk-outcome");
    var select = $("#bulk-reason-code");
    if (!outcome || !select) return;
    var any = false;
    $all("optgroup", select).forEach(function (g) {
      var mine = g.getAttribute("data-outcome") === outcome.value;
      g.hidden = !mine;
      g.disabled = !mine;
      if (mine) any = true;
    });
    var chosen = select.selectedOptions && select.selectedOptions[0];
    if (chosen && chosen.parentNode.tagName === "OPTGROUP" && chosen.parentNode.disabled) select.value = "";
    var wrap = $("#bulk-reason");
    if (wrap) wrap.hidden = !any;
    if (!any) select.value = "";
  }

  // The bulk confirmation takes focus when it appears and gives it back to
  // the bar's button when it closes.
  function bulkShown(box) {
    var confirm = $("#bulk-confirm", box);
    var done = $(".bulk-result", box);
    if (confirm) confirm.focus();
    else if (done) { var close = $(".bulk-cancel", done); if (close) close.focus(); }
  }
  function bulkClosed() {
    var back = $("#bulk-preview");
    if (back) back.focus();
  }

  document.addEventListener("click", function (ev) {
    var t = ev.target;
    if (!t.closest) return;
    if (t.closest("#density-toggle")) { toggleDensity(); return; }
    if (t.closest(".pane-close")) { closeSheet(); return; }
    if (t.closest(".bulk-cancel")) { bulkClosed(); }
  });
  document.addEventListener("change", function (ev) {
    if (ev.target && ev.target.id === "bulk-outcome") syncBulkReasons();
  });
  document.addEventListener("keydown", function (ev) {
    if (ev.key !== "Escape") return;
    var box = $("#bulk-dialog");
    if (box && box.contains(document.activeElement) && $(".bulk-confirm, .bulk-result", box)) {
      box.textContent = "";
      bulkClosed();
      ev.preventDefault();
    }
  });
  document.addEventListener("htmx:afterSwap", function (ev) {
    var target = ev.detail.target;
    if (!target) return;
    if (target.id === "pane") syncSheet();
    if (target.id === "bulk-dialog") bulkShown(target);
  });
  document.addEventListener("htmx:historyRestore", function () { applyDensity(); syncSheet(); syncBulkReasons(); });
  window.addEventListener("popstate", function () { setTimeout(syncSheet, 0); });
  document.addEventListener("DOMContentLoaded", function () { applyDensity(); syncSheet(); syncBulkReasons(); });

  // ---- Issue 16: admin pages ----
  // A button with data-dialog opens that <dialog> (a confirmation whose
  // Cancel closes it by method="dialog"); the browser returns focus.
  document.addEventListener("click", function (ev) {
    var t = ev.target.closest ? ev.target.closest("[data-dialog]") : null;
    if (!t) return;
    var d = document.getElementById(t.getAttribute("data-dialog"));
    if (d && d.showModal && !d.open) d.showModal();
  });
  // Saving a setting clears the messages of earlier attempts on other rows.
  document.addEventListener("htmx:beforeRequest", function (ev) {
    var elt = ev.detail.elt;
    if (!elt || !elt.classList || !elt.classList.contains("setting-form")) return;
    $all(".admin-table.settings .setting-error, .admin-table.settings .setting-saved").forEach(function (m) { m.remove(); });
  });
  // A revoked token's secret, if still on screen, goes.
  document.addEventListener("htmx:afterRequest", function (ev) {
    var cfg = ev.detail.requestConfig;
    var m = cfg && ev.detail.successful && /^\/admin\/tokens\/(\d+)\/revoke$/.exec(cfg.path || "");
    if (!m) return;
    var shown = document.getElementById("token-created-" + m[1]);
    if (shown) shown.remove();
  });
})();
