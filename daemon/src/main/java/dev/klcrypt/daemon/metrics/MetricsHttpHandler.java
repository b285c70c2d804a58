package dev.klcrypt.daemon.metrics;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.timeout.ReadTimeoutException;
import io.netty.handler.timeout.ReadTimeoutHandler;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves {@code GET /metrics} on a Netty channel: one request per connection, answered and closed
 * (HTTP/1.0 style, {@code Connection: close}), so a scraper never holds a control connection open.
 * Request lines and headers are capped by {@link HttpServerCodec}'s limits and bodies by the
 * aggregator; a client that stalls is dropped after the read timeout.
 */
public final class MetricsHttpHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
  private static final Logger log = LoggerFactory.getLogger(MetricsHttpHandler.class);
  private static final int MAX_INITIAL_LINE = 4096;
  private static final int MAX_HEADER_BYTES = 8192;

  private final MetricsHttpResponder responder;

  public MetricsHttpHandler(MetricsHttpResponder responder) {
    this.responder = responder;
  }

  /**
   * The HTTP route for the control socket ({@code ControlDispatcher.httpRoute(...)}): installs the
   * HTTP codec, the aggregator capped at {@code maxRequestBytes}, a read timeout and this handler
   * at the end of the pipeline.
   */
  public static Consumer<ChannelPipeline> route(
      KlcryptMetrics metrics, int maxRequestBytes, Duration requestTimeout) {
    MetricsHttpResponder responder = new MetricsHttpResponder(metrics);
    return pipeline -> install(pipeline, responder, maxRequestBytes, requestTimeout);
  }

  static void install(
      ChannelPipeline pipeline,
      MetricsHttpResponder responder,
      int maxRequestBytes,
      Duration requestTimeout) {
    pipeline.addLast(
        "metrics-timeout",
        new ReadTimeoutHandler(requestTimeout.toMillis(), TimeUnit.MILLISECONDS));
    pipeline.addLast(
        "metrics-codec",
        new HttpServerCodec(
            Math.min(MAX_INITIAL_LINE, maxRequestBytes),
            Math.min(MAX_HEADER_BYTES, maxRequestBytes),
            8192));
    pipeline.addLast("metrics-aggregator", new HttpObjectAggregator(maxRequestBytes, true));
    pipeline.addLast("metrics-http", new MetricsHttpHandler(responder));
  }

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
    MetricsHttpResponder.Response answer;
    if (request.decoderResult().isFailure()) {
      answer = responder.badRequest(String.valueOf(request.decoderResult().cause().getMessage()));
    } else {
      answer = responder.respond(request.method().name(), request.uri());
    }
    if (answer.status() != 200) {
      log.info(
          "metrics endpoint answered {} to {} {}",
          answer.status(),
          request.method().name(),
          request.uri().length() > 64 ? request.uri().substring(0, 64) + "..." : request.uri());
    }
    FullHttpResponse response =
        new DefaultFullHttpResponse(
            request.protocolVersion().equals(HttpVersion.HTTP_1_0)
                ? HttpVersion.HTTP_1_0
                : HttpVersion.HTTP_1_1,
            new HttpResponseStatus(answer.status(), answer.reason()),
            answer.headOnly() ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(answer.body()));
    response.headers().set(HttpHeaderNames.CONTENT_TYPE, answer.contentType());
    response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, answer.body().length);
    response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    if (answer.status() == 405) {
      response.headers().set(HttpHeaderNames.ALLOW, "GET, HEAD");
    }
    ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (cause instanceof ReadTimeoutException) {
      log.info("metrics request on {} timed out; closing", ctx.channel());
    } else {
      log.warn("metrics connection {} failed: {}", ctx.channel(), cause.toString());
    }
    ctx.close();
  }
}
