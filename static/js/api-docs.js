// Starts the vendored Swagger UI on the owner API's docs page (no inline script: the page's CSP is 'self').
(function () {
  const settings = JSON.parse(document.getElementById("swagger-settings").textContent);
  const csrfToken = document.body.dataset.csrfToken;
  settings.dom_id = "#swagger-ui";
  settings.presets = [SwaggerUIBundle.presets.apis];
  // "Try it out" runs as the signed-in owner: the session cookie plus Django's CSRF header.
  settings.requestInterceptor = function (request) {
    if (csrfToken) {
      request.headers["X-CSRFToken"] = csrfToken;
    }
    return request;
  };
  SwaggerUIBundle(settings);
})();
