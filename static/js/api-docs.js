// The API's reference page: Swagger UI (vendored, static/vendor/swagger-ui) reading /api/v1/openapi.json.
(function () {
  var root = document.getElementById("api-docs");
  if (!root || !window.SwaggerUIBundle) { return; }
  window.SwaggerUIBundle({ url: root.dataset.specUrl, domNode: root, deepLinking: false });
})();
