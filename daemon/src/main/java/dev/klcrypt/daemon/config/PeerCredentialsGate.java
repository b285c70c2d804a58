package dev.klcrypt.daemon.config;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * First handler on a control-socket connection: asks {@link PeerPolicy} about the peer's
 * kernel-reported uid. An allowed peer never sees it (it removes itself). A refused peer gets a
 * clear error in the protocol it speaks: an HTTP 403 with a text body if its first bytes are an
 * HTTP request line, else one JSON line {@code {"ok":false,"errno":1,"error":"..."}} (EPERM), the
 * control protocol's error form; then the connection is closed. Nothing the peer sent is processed.
 * Every refusal is audited.
 *
 * <p>Install with {@code pipeline.addFirst("peer-gate", new PeerCredentialsGate(policy))} in the
 * control socket's channel initializer; the channel must be an {@link EpollDomainSocketChannel}.
 */
public final class PeerCredentialsGate extends ChannelInboundHandlerAdapter {
  private static final int EPERM = 1;
  private static final long SILENT_PEER_MILLIS = 1000;

  private final PeerPolicy policy;
  private PeerPolicy.Decision refusal; // set once refused, never cleared
  private boolean answered;
  private ScheduledFuture<?> silentPeer;

  public PeerCredentialsGate(PeerPolicy policy) {
    this.policy = policy;
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) throws Exception {
    PeerPolicy.Decision decision =
        ctx.channel() instanceof EpollDomainSocketChannel unix
            ? policy.decide(unix)
            : new PeerPolicy.Decision(
                false, -1, "not a Unix-socket connection: no peer credentials");
    if (decision.allowed()) {
      ctx.pipeline().remove(this);
      super.channelActive(ctx);
      return;
    }
    refusal = decision;
    AuditLog.refused(decision.peerUid(), decision.reason());
    // a peer that sends nothing still gets the control protocol's error, shortly
    silentPeer =
        ctx.executor()
            .schedule(() -> refuse(ctx, false), SILENT_PEER_MILLIS, TimeUnit.MILLISECONDS);
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (refusal == null) {
      // the decision is made in channelActive, which runs before any read; be safe anyway
      ReferenceCountUtil.release(msg);
      ctx.close();
      return;
    }
    boolean http = false;
    if (msg instanceof ByteBuf buf) {
      String start =
          buf.toString(
              buf.readerIndex(), Math.min(5, buf.readableBytes()), StandardCharsets.US_ASCII);
      http = start.startsWith("GET ") || start.startsWith("HEAD ") || start.startsWith("POST ");
    }
    ReferenceCountUtil.release(msg);
    refuse(ctx, http);
  }

  private void refuse(ChannelHandlerContext ctx, boolean http) {
    if (silentPeer != null) {
      silentPeer.cancel(false);
    }
    if (answered || !ctx.channel().isActive()) {
      return;
    }
    answered = true;
    String reason = refusal.reason();
    String body;
    if (http) {
      byte[] text = ("forbidden: " + reason + "\n").getBytes(StandardCharsets.UTF_8);
      body =
          "HTTP/1.0 403 Forbidden\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: "
              + text.length
              + "\r\nConnection: close\r\n\r\n"
              + new String(text, StandardCharsets.UTF_8);
    } else {
      body = "{\"ok\":false,\"errno\":" + EPERM + ",\"error\":\"" + jsonEscape(reason) + "\"}\n";
    }
    ctx.writeAndFlush(Unpooled.copiedBuffer(body, StandardCharsets.UTF_8))
        .addListener(ChannelFutureListener.CLOSE);
  }

  private static String jsonEscape(String s) {
    StringBuilder out = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        default -> {
          if (c < 0x20) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    return out.toString();
  }
}
