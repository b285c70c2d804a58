package dev.klcrypt.daemon.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gate in front of a real control-socket-like server: the owner's requests reach the handler, a
 * client running as another uid gets an error body in its protocol and nothing it sends is
 * processed.
 */
class PeerCredentialsGateTest {
  private static final int NOBODY = 65534;

  @TempDir Path dir;
  private EventLoopGroup group;
  private Channel server;
  private Path socket;
  private final AtomicInteger processed = new AtomicInteger();

  @BeforeEach
  void start() throws Exception {
    group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    socket = dir.resolve("control.sock");
    PeerPolicy policy = PeerPolicy.ownedBy(PeerPolicy.processUid());
    server =
        new ServerBootstrap()
            .group(group)
            .channel(EpollServerDomainSocketChannel.class)
            .childHandler(
                new ChannelInitializer<EpollDomainSocketChannel>() {
                  @Override
                  protected void initChannel(EpollDomainSocketChannel ch) {
                    ch.pipeline().addLast(new Echo());
                    ch.pipeline().addFirst("peer-gate", new PeerCredentialsGate(policy));
                  }
                })
            .bind(new DomainSocketAddress(socket.toFile()))
            .sync()
            .channel();
    Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-rw-rw-"));
  }

  /** Stands in for the control protocol: counts requests and answers each chunk. */
  private final class Echo extends SimpleChannelInboundHandler<ByteBuf> {
    @Override
    protected void channelRead0(ChannelHandlerContext ctx, ByteBuf msg) {
      processed.incrementAndGet();
      ctx.writeAndFlush(Unpooled.copiedBuffer("{\"ok\":true}\n", StandardCharsets.UTF_8));
    }
  }

  @AfterEach
  void stop() throws InterruptedException {
    server.close().sync();
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
  }

  @Test
  void theOwnerPassesThroughTheGate() throws Exception {
    try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
      ch.write(ByteBuffer.wrap("{\"op\":\"ping\"}\n".getBytes(StandardCharsets.UTF_8)));
      ByteBuffer buf = ByteBuffer.allocate(64);
      while (buf.position() < 12 && ch.read(buf) >= 0) {
        // until the reply line is in
      }
      assertThat(new String(buf.array(), 0, buf.position(), StandardCharsets.UTF_8))
          .isEqualTo("{\"ok\":true}\n");
    }
    assertThat(processed).hasValue(1);
  }

  @Test
  void anotherUidGetsAnErrorBodyInItsProtocolAndIsNeverServed() throws Exception {
    assertThat(PeerPolicy.processUid())
        .as("starting a client as uid %d needs root", NOBODY)
        .isZero();
    Path client = dir.resolve("Client.java");
    Files.writeString(
        client,
        """
        import java.net.UnixDomainSocketAddress;
        import java.nio.ByteBuffer;
        import java.nio.channels.SocketChannel;
        public class Client {
          static String exchange(String socket, String request) throws Exception {
            try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
              if (!request.isEmpty()) ch.write(ByteBuffer.wrap(request.getBytes("UTF-8")));
              ByteBuffer buf = ByteBuffer.allocate(4096);
              while (ch.read(buf) >= 0) { }
              return new String(buf.array(), 0, buf.position(), "UTF-8");
            }
          }
          public static void main(String[] args) throws Exception {
            System.out.print(exchange(args[0], "{\\"op\\":\\"list\\"}\\n"));
            System.out.print("----\\n");
            System.out.print(exchange(args[0], "GET /metrics HTTP/1.0\\r\\n\\r\\n"));
            System.out.print("----\\n");
            System.out.print(exchange(args[0], ""));
          }
        }
        """);
    Files.setPosixFilePermissions(client, PosixFilePermissions.fromString("rw-r--r--"));
    String java = ProcessHandle.current().info().command().orElseThrow();
    Process p =
        new ProcessBuilder(
                List.of(
                    "setpriv",
                    "--reuid=" + NOBODY,
                    "--regid=" + NOBODY,
                    "--clear-groups",
                    java,
                    "-XX:TieredStopAtLevel=1",
                    client.toString(),
                    socket.toString()))
            .redirectErrorStream(true)
            .start();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.exitValue()).as(out).isZero();
    String reason = "peer uid 65534 is neither the control socket's owner (uid 0) nor root";
    String[] replies = out.split("----\n", -1);
    assertThat(replies).hasSize(3);
    assertThat(replies[0]).isEqualTo("{\"ok\":false,\"errno\":1,\"error\":\"" + reason + "\"}\n");
    assertThat(replies[1])
        .startsWith("HTTP/1.0 403 Forbidden\r\n")
        .contains("Connection: close\r\n")
        .endsWith("\r\n\r\nforbidden: " + reason + "\n");
    assertThat(replies[2]).as("a silent peer is answered too").isEqualTo(replies[0]);
    assertThat(processed).as("requests that reached the protocol handler").hasValue(0);
  }
}
