/* Loaded on pages with embedded Jupyter widgets, before require.js and embed-amd.js
 * (see nb_ipywidgets_js in _config.yml).
 *
 * 1. The widget manager looks for its fonts in the folder its RequireJS module name maps to,
 *    which by default is a folder beside the page that does not exist; map the name to the
 *    folder the book serves embed-amd.js and the fonts from.
 * 2. Widget labels typeset LaTeX with the MathJax 2 call MathJax.Hub.Queue, while the book loads
 *    MathJax 3: translate that call to MathJax 3's typesetPromise. Widgets render on window
 *    "load", after the deferred MathJax script has run and DOMContentLoaded has fired.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (script && script.src && window.require === undefined) {
    // RequireJS reads a global `require` object defined before it loads as its configuration.
    window.require = {
      paths: {
        "@jupyter-widgets/html-manager/dist": new URL("npm/html-manager", script.src).href,
      },
    };
  }
  window.addEventListener("DOMContentLoaded", function () {
    var mathjax = window.MathJax;
    if (!mathjax || mathjax.Hub || typeof mathjax.typesetPromise !== "function") {
      return;
    }
    mathjax.Hub = {
      Queue: function (command) {
        var element = Array.isArray(command) ? command[2] : undefined;
        if (element) {
          mathjax.startup.promise.then(function () {
            return mathjax.typesetPromise([element]);
          });
        }
      },
    };
  });
})();
