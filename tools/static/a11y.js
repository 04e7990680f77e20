/* Accessibility of what exists only once a page has run (tools/a11y.py adds this script):
 *  - a box that scrolls sideways (a wide table, equation or output) can take keyboard focus,
 *    so that it can be scrolled without a mouse;
 *  - the sliders of embedded widgets are named by their visible label;
 *  - the images the widgets draw get alt text: that of the static figure just before them.
 * It runs when the page loads, after MathJax has typeset, whenever the page's content changes
 * (widgets render late) and when the window is resized.
 */
(function () {
  "use strict";
  var SCROLL_MARK = "data-emse-scroll";

  function scrollsSideways(el) {
    if (el.scrollWidth <= el.clientWidth + 1 || el.clientWidth === 0) return false;
    var overflow = window.getComputedStyle(el).overflowX;
    return overflow === "auto" || overflow === "scroll";
  }

  // A box once found scrolling stays focusable: its width changes with the window's, and a tab
  // stop on a box that has just stopped scrolling does no harm.
  function focusableScrollBoxes(root) {
    root.querySelectorAll("*").forEach(function (el) {
      if (el.hasAttribute(SCROLL_MARK) || el.hasAttribute("tabindex")) return;
      if (el.closest("mjx-assistive-mml")) return;
      if (scrollsSideways(el)) {
        el.setAttribute(SCROLL_MARK, "");
        el.setAttribute("tabindex", "0");
      }
    });
  }

  function nameSliders(root) {
    root.querySelectorAll('[role="slider"]:not([aria-label]):not([aria-labelledby])')
      .forEach(function (handle) {
        var widget = handle.closest(".widget-slider, .widget-hslider, .widget-vslider, .widget-inline-hbox");
        var label = widget && widget.querySelector(".widget-label");
        var text = label && label.textContent.trim();
        handle.setAttribute("aria-label", text || "slider");
      });
  }

  function precedingFigureAlt(img) {
    var figures = document.querySelectorAll("figure img[alt]");
    var alt = "";
    for (var i = 0; i < figures.length; i++) {
      var position = figures[i].compareDocumentPosition(img);
      if (position & Node.DOCUMENT_POSITION_FOLLOWING) alt = figures[i].getAttribute("alt");
    }
    return alt;
  }

  function describeWidgetImages(root) {
    root.querySelectorAll(".widget-subarea img:not([alt]), .jupyter-widgets img:not([alt])")
      .forEach(function (img) {
        var alt = precedingFigureAlt(img);
        img.setAttribute("alt", alt ? "Interactive version of the figure above: " + alt
                                    : "Output of an interactive widget");
      });
  }

  function apply() {
    var article = document.querySelector(".bd-article") || document.body;
    if (!article) return;
    focusableScrollBoxes(article);
    nameSliders(document);
    describeWidgetImages(document);
  }

  var scheduled = false;
  function schedule() {
    if (scheduled) return;
    scheduled = true;
    window.requestAnimationFrame(function () {
      scheduled = false;
      apply();
    });
  }

  window.emseA11y = { apply: apply };
  function start() {
    apply();
    new MutationObserver(function (records) {
      // Only our own attribute changes: nothing to do (avoids a loop).
      for (var i = 0; i < records.length; i++) {
        if (records[i].type === "childList") { schedule(); return; }
      }
    }).observe(document.body, { childList: true, subtree: true });
    window.addEventListener("resize", schedule);
    if (window.ResizeObserver) {
      var article = document.querySelector(".bd-article");
      if (article) new ResizeObserver(schedule).observe(article);
    }
    window.addEventListener("load", schedule);
    if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
      MathJax.startup.promise.then(schedule);
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
