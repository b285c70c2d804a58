package dev.klcrypt.daemon.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PeerPolicyTest {
  private static final int NOBODY = 65534;

  @TempDir Path dir;
  private EventLoopGroup group;
  private Channel server;
  private Path socket;

  @Test
  void ownerAndRootAreAllowedAnyoneElseIsRefusedWithAReason() {
    PeerPolicy policy = PeerPolicy.ownedBy(1000);
    assertThat(policy.decide(1000).allowed()).isTrue();
    assertThat(policy.decide(0).allowed()).isTrue();
    PeerPolicy.Decision other = policy.decide(1001);
    assertThat(other.allowed()).isFalse();
    assertThat(other.peerUid()).isEqualTo(1001);
    assertThat(other.reason())
        .isEqualTo("peer uid 1001 is neither the control socket's owner (uid 1000) nor root");
    assertThat(PeerPolicy.ownedBy(0).decide(NOBODY).allowed()).isFalse();
  }

  @BeforeEach
  void startServer() throws Exception {
    group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    socket = dir.resolve("control.sock");
    server =
        new ServerBootstrap()
            .group(group)
            .channel(EpollServerDomainSocketChannel.class)
            .childHandler(
                new ChannelInitializer<EpollDomainSocketChannel>() {
                  @Override
                  protected void initChannel(EpollDomainSocketChannel ch) {
                    ch.pipeline().addLast(new Gate());
                  }
                })
            .bind(new DomainSocketAddress(socket.toFile()))
            .sync()
            .channel();
    // the test opens the socket's mode so that uid 65534 can connect at all; the policy must still
    // refuse it
    Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-rw-rw-"));
  }

  /** Answers every connection with the policy's decision for the real peer, then closes it. */
  private final class Gate extends ChannelInboundHandlerAdapter {
    @Override
    public void channelActive(ChannelHandlerContext ctx) throws IOException {
      PeerPolicy policy = PeerPolicy.forSocket(socket);
      PeerPolicy.Decision d = policy.decide((EpollDomainSocketChannel) ctx.channel());
      String reply = (d.allowed() ? "ALLOW " : "DENY ") + d.reason() + "\n";
      ctx.writeAndFlush(Unpooled.copiedBuffer(reply, StandardCharsets.UTF_8))
          .addListener(ChannelFutureListener.CLOSE);
    }
  }

  @AfterEach
  void stopServer() throws InterruptedException {
    server.close().sync();
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
  }

  @Test
  void theSocketOwnerIsAllowedOnARealSocket() throws Exception {
    assertThat(PeerPolicy.forSocket(socket).ownerUid()).isEqualTo(PeerPolicy.processUid());
    try (SocketChannel client = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
      ByteBuffer buf = ByteBuffer.allocate(256);
      while (client.read(buf) >= 0) {
        // until the server closes
      }
      String reply = new String(buf.array(), 0, buf.position(), StandardCharsets.UTF_8);
      assertThat(reply)
          .isEqualTo("ALLOW peer uid " + PeerPolicy.processUid() + " owns the control socket\n");
    }
  }

  @Test
  void aPeerRunningAsAnotherUidIsRefusedOnARealSocket() throws Exception {
    assertThat(PeerPolicy.processUid())
        .as("this test starts a client as uid %d, which needs root", NOBODY)
        .isZero();
    Path client = dir.resolve("ConnectClient.java");
    Files.writeString(
        client,
        """
        import java.net.UnixDomainSocketAddress;
        import java.nio.ByteBuffer;
        import java.nio.channels.SocketChannel;
        public class ConnectClient {
          public static void main(String[] args) throws Exception {
            try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(args[0]))) {
              ByteBuffer buf = ByteBuffer.allocate(256);
              while (ch.read(buf) >= 0) { }
              System.out.print(new String(buf.array(), 0, buf.position(), "UTF-8"));
            }
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
                    "-Xshare:auto",
                    "-XX:TieredStopAtLevel=1",
                    client.toString(),
                    socket.toString()))
            .redirectErrorStream(true)
            .start();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.exitValue()).as(out).isZero();
    assertThat(out)
        .isEqualTo("DENY peer uid 65534 is neither the control socket's owner (uid 0) nor root\n");
  }
}
