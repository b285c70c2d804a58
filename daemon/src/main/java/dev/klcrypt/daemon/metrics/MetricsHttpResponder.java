package dev.klcrypt.daemon.metrics;

import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * Decides the HTTP answer for a request on the metrics endpoint, without any I/O: {@code GET
 * /metrics} (query ignored) gives the Prometheus text, {@code HEAD /metrics} its headers; any other
 * path is 404 and any other method 405, each with a plain-text body that says what is served. Used
 * by {@link MetricsHttpHandler} on the control socket and on the loopback TCP port.
 */
public final class MetricsHttpResponder {
  /** The only path served. */
  public static final String PATH = "/metrics";

  private final KlcryptMetrics metrics;

  public MetricsHttpResponder(KlcryptMetrics metrics) {
    this.metrics = Objects.requireNonNull(metrics, "metrics");
  }

  /**
   * The response to {@code method uri}.
   *
   * @param method the request method as sent (case-sensitive, as HTTP requires)
   * @param uri the request target, e.g. {@code /metrics} or {@code /metrics?x=1}
   */
  public Response respond(String method, String uri) {
    String path = uri;
    int query = path.indexOf('?');
    if (query >= 0) {
      path = path.substring(0, query);
    }
    if (!path.equals(PATH)) {
      return Response.text(
          404, "Not Found", "not found: " + abbreviate(path) + " (only GET /metrics is served)\n");
    }
    return switch (method) {
      case "GET" ->
          new Response(
              200,
              "OK",
              KlcryptMetrics.CONTENT_TYPE,
              metrics.scrape().getBytes(StandardCharsets.UTF_8),
              false);
      case "HEAD" ->
          new Response(
              200,
              "OK",
              KlcryptMetrics.CONTENT_TYPE,
              metrics.scrape().getBytes(StandardCharsets.UTF_8),
              true);
      default ->
          Response.text(
              405,
              "Method Not Allowed",
              "method " + abbreviate(method) + " not allowed: use GET or HEAD\n");
    };
  }

  /** A 400 answer for a request that could not be decoded at all. */
  public Response badRequest(String reason) {
    return Response.text(400, "Bad Request", "bad request: " + reason + "\n");
  }

  private static String abbreviate(String s) {
    String printable = s.replaceAll("[^\\x20-\\x7e]", "?");
    return printable.length() <= 64 ? printable : printable.substring(0, 64) + "...";
  }

  /**
   * One HTTP response.
   *
   * @param status the status code
   * @param reason the reason phrase
   * @param contentType the Content-Type header
   * @param body the body bytes (for HEAD: the bytes whose length Content-Length reports)
   * @param headOnly send headers only (HEAD)
   */
  public record Response(
      int status, String reason, String contentType, byte[] body, boolean headOnly) {
    static Response text(int status, String reason, String text) {
      return new Response(
          status,
          reason,
          "text/plain; charset=utf-8",
          text.getBytes(StandardCharsets.UTF_8),
          false);
    }

    /** The body as text. */
    public String bodyText() {
      return new String(body, StandardCharsets.UTF_8);
    }
  }
}
