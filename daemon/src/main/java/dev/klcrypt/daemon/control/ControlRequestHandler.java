package dev.klcrypt.daemon.control;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.klcrypt.daemon.errno.Errno;
import dev.klcrypt.daemon.errno.ErrnoMapping;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.TooLongFrameException;
import java.io.IOException;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One per connection: parses each line-delimited frame, runs it on the worker executor (requests of
 * one connection in order, so replies match requests), and writes one reply line. Bad input gets an
 * error reply and the connection stays open.
 */
final class ControlRequestHandler extends SimpleChannelInboundHandler<ByteBuf> {
  private static final Logger LOG = LoggerFactory.getLogger(ControlRequestHandler.class);

  private final ControlDispatcher dispatcher;
  private final ControlRequestParser parser;
  private final Executor workers;
  private CompletableFuture<Void> tail = CompletableFuture.completedFuture(null);

  ControlRequestHandler(ControlDispatcher dispatcher, Executor workers) {
    this.dispatcher = dispatcher;
    this.parser = new ControlRequestParser(dispatcher.mapper());
    this.workers = workers;
  }

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, ByteBuf frame) {
    ControlRequest request;
    byte[] bytes = ByteBufUtil.getBytes(frame);
    try {
      request = parser.parse(bytes);
    } catch (RuntimeException refused) {
      Errno errno = ErrnoMapping.of(refused);
      LOG.info("control request refused: {}", refused.getMessage());
      enqueue(ctx, () -> dispatcher.error(errno, refused.getMessage()));
      return;
    } finally {
      // the frame may carry a base64 passphrase: wipe both copies
      Arrays.fill(bytes, (byte) 0);
      frame.setZero(0, frame.capacity());
    }
    enqueue(ctx, () -> dispatcher.dispatch(request));
  }

  private void enqueue(ChannelHandlerContext ctx, java.util.function.Supplier<ObjectNode> work) {
    long timeout = dispatcher.requestTimeoutMillis();
    tail =
        tail.thenCompose(
                done -> {
                  CompletableFuture<ObjectNode> reply =
                      CompletableFuture.supplyAsync(work, workers);
                  return timeout <= 0
                      ? reply
                      : reply.completeOnTimeout(
                          dispatcher.error(
                              Errno.ETIMEDOUT, "request not answered within " + timeout + " ms"),
                          timeout,
                          java.util.concurrent.TimeUnit.MILLISECONDS);
                })
            .thenAccept(reply -> writeReply(ctx, dispatcher, reply))
            .exceptionally(
                failure -> {
                  LOG.error("control reply failed: {}", failure.toString());
                  return null;
                });
  }

  /** Writes one reply line. */
  static io.netty.channel.ChannelFuture writeReply(
      ChannelHandlerContext ctx, ControlDispatcher dispatcher, ObjectNode reply) {
    byte[] json;
    try {
      json = dispatcher.mapper().writeValueAsBytes(reply);
    } catch (JsonProcessingException e) {
      json =
          ("{\"ok\":false,\"errno\":5,\"error\":\"reply not serializable\"}")
              .getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }
    return ctx.writeAndFlush(Unpooled.wrappedBuffer(json, new byte[] {'\n'}));
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (cause instanceof TooLongFrameException) {
      // the frame decoder drops bytes up to the next newline, then serving continues on this
      // connection
      enqueue(
          ctx,
          () ->
              dispatcher.error(
                  Errno.EMSGSIZE,
                  "request longer than " + dispatcher.maxRequestBytes() + " bytes"));
      return;
    }
    if (cause instanceof IOException) {
      LOG.debug("control connection error: {}", cause.toString());
    } else {
      LOG.warn("control connection error: {}", cause.toString());
    }
    ctx.close();
  }
}
