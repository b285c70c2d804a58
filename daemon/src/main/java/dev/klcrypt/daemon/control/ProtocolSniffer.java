package dev.klcrypt.daemon.control;

import dev.klcrypt.daemon.errno.Errno;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.LineBasedFrameDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.function.Consumer;

/**
 * First handler of every connection: looks at the first bytes once. An HTTP request line ({@code
 * GET }, {@code HEAD }) goes to the dispatcher's HTTP route if one is registered; everything else
 * is the JSON-lines protocol. Then it removes itself (buffered bytes flow on to the chosen
 * handlers).
 */
final class ProtocolSniffer extends ByteToMessageDecoder {
  private static final int SNIFF_BYTES = 5;

  private final ControlDispatcher dispatcher;
  private final Executor workers;

  ProtocolSniffer(ControlDispatcher dispatcher, Executor workers) {
    this.dispatcher = dispatcher;
    this.workers = workers;
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    int readable = in.readableBytes();
    if (readable < SNIFF_BYTES && in.indexOf(in.readerIndex(), in.writerIndex(), (byte) '\n') < 0) {
      return; // wait for more
    }
    String refused = dispatcher.refusal(ctx.channel());
    if (refused != null) {
      in.skipBytes(in.readableBytes());
      ControlRequestHandler.writeReply(ctx, dispatcher, dispatcher.error(Errno.EACCES, refused))
          .addListener(ChannelFutureListener.CLOSE);
      return;
    }
    ChannelPipeline pipeline = ctx.pipeline();
    Consumer<ChannelPipeline> http = dispatcher.httpRoute();
    if (http != null && looksLikeHttp(in)) {
      http.accept(pipeline);
    } else {
      pipeline.addLast(
          "frames", new LineBasedFrameDecoder(dispatcher.maxRequestBytes(), true, true));
      pipeline.addLast("requests", new ControlRequestHandler(dispatcher, workers));
    }
    pipeline.remove(this);
  }

  static boolean looksLikeHttp(ByteBuf in) {
    int n = Math.min(in.readableBytes(), SNIFF_BYTES);
    String start = in.toString(in.readerIndex(), n, StandardCharsets.US_ASCII);
    return start.startsWith("GET ") || start.startsWith("HEAD ");
  }
}
