// The bar's menus are <details>: they open without script; this only closes an open one when
// the user clicks elsewhere or opens another, as a menu is expected to.
document.addEventListener("click", function (event) {
  document.querySelectorAll("details.navgroup[open]").forEach(function (menu) {
    if (!menu.contains(event.target)) menu.removeAttribute("open");
  });
});
