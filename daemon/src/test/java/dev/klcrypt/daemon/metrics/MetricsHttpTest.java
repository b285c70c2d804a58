package dev.klcrypt.daemon.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MetricsHttpTest {
  @TempDir Path dir;
  private final KlcryptMetrics metrics = new KlcryptMetrics();
  private EventLoopGroup group;
  private Channel controlSocket;
  private Path socket;

  @BeforeEach
  void serveTheRouteOnAUnixSocket() throws InterruptedException {
    group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    socket = dir.resolve("control.sock");
    // the control plane hands the pipeline to this route when a connection starts with "GET "/"HEAD
    // "
    Consumer<ChannelPipeline> route =
        MetricsHttpHandler.route(metrics, 2048, Duration.ofMillis(300));
    controlSocket =
        new ServerBootstrap()
            .group(group)
            .channel(EpollServerDomainSocketChannel.class)
            .childHandler(
                new ChannelInitializer<EpollDomainSocketChannel>() {
                  @Override
                  protected void initChannel(EpollDomainSocketChannel ch) {
                    route.accept(ch.pipeline());
                  }
                })
            .bind(new DomainSocketAddress(socket.toFile()))
            .sync()
            .channel();
  }

  @AfterEach
  void stop() throws InterruptedException {
    controlSocket.close().sync();
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
  }

  /** Sends raw bytes, reads until the server closes, returns everything read. */
  private static String exchange(SocketAddress address, String request) throws IOException {
    StandardProtocolFamily family =
        address instanceof UnixDomainSocketAddress
            ? StandardProtocolFamily.UNIX
            : StandardProtocolFamily.INET;
    try (SocketChannel ch = SocketChannel.open(family)) {
      ch.connect(address);
      ch.write(ByteBuffer.wrap(request.getBytes(StandardCharsets.ISO_8859_1)));
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ByteBuffer buf = ByteBuffer.allocate(8192);
      while (ch.read(buf) >= 0) {
        out.write(buf.array(), 0, buf.position());
        buf.clear();
      }
      return out.toString(StandardCharsets.UTF_8);
    }
  }

  private record HttpReply(String statusLine, Map<String, String> headers, String body) {
    static HttpReply of(String raw) {
      int end = raw.indexOf("\r\n\r\n");
      assertThat(end).as("reply has a header block: %s", raw).isPositive();
      String[] head = raw.substring(0, end).split("\r\n");
      Map<String, String> headers = new java.util.TreeMap<>(String.CASE_INSENSITIVE_ORDER);
      for (int i = 1; i < head.length; i++) {
        int colon = head[i].indexOf(':');
        headers.put(head[i].substring(0, colon).strip(), head[i].substring(colon + 1).strip());
      }
      return new HttpReply(head[0], headers, raw.substring(end + 4));
    }
  }

  @Test
  void getMetricsOnTheControlSocketReturnsParseablePrometheusTextThatMovesWithIo()
      throws IOException {
    UnixDomainSocketAddress address = UnixDomainSocketAddress.of(socket);
    metrics.volume("data").write(4096, 100_000);

    HttpReply first = HttpReply.of(exchange(address, "GET /metrics HTTP/1.0\r\n\r\n"));
    assertThat(first.statusLine()).isEqualTo("HTTP/1.0 200 OK");
    assertThat(first.headers())
        .containsEntry("Content-Type", KlcryptMetrics.CONTENT_TYPE)
        .containsEntry("Connection", "close")
        .containsEntry(
            "Content-Length",
            Integer.toString(first.body().getBytes(StandardCharsets.UTF_8).length));
    PrometheusText before = PrometheusText.parse(first.body());
    double writes =
        before.value("klcrypt_volume_ops_total", Map.of("volume", "data", "op", "write"));
    assertThat(writes).isEqualTo(1);

    metrics.volume("data").write(4096, 100_000);
    metrics.volume("data").write(4096, 100_000);
    // curl --unix-socket sends HTTP/1.1 with a Host header and a query is harmless
    HttpReply second =
        HttpReply.of(
            exchange(
                address,
                "GET /metrics?debug=1 HTTP/1.1\r\nHost: localhost\r\nUser-Agent: curl/7.88.1\r\n\r\n"));
    assertThat(second.statusLine()).isEqualTo("HTTP/1.1 200 OK");
    PrometheusText after = PrometheusText.parse(second.body());
    assertThat(after.value("klcrypt_volume_ops_total", Map.of("volume", "data", "op", "write")))
        .isEqualTo(writes + 2);
    assertThat(
            after.value("klcrypt_volume_io_bytes_total", Map.of("volume", "data", "op", "write")))
        .isEqualTo(3 * 4096);
  }

  @Test
  void everyRefusalHasAStatusAndAClearBody() throws IOException {
    UnixDomainSocketAddress address = UnixDomainSocketAddress.of(socket);

    HttpReply notFound = HttpReply.of(exchange(address, "GET /status HTTP/1.0\r\n\r\n"));
    assertThat(notFound.statusLine()).isEqualTo("HTTP/1.0 404 Not Found");
    assertThat(notFound.body()).isEqualTo("not found: /status (only GET /metrics is served)\n");

    HttpReply post =
        HttpReply.of(exchange(address, "POST /metrics HTTP/1.0\r\nContent-Length: 0\r\n\r\n"));
    assertThat(post.statusLine()).isEqualTo("HTTP/1.0 405 Method Not Allowed");
    assertThat(post.headers()).containsEntry("Allow", "GET, HEAD");
    assertThat(post.body()).isEqualTo("method POST not allowed: use GET or HEAD\n");

    HttpReply head = HttpReply.of(exchange(address, "HEAD /metrics HTTP/1.0\r\n\r\n"));
    assertThat(head.statusLine()).isEqualTo("HTTP/1.0 200 OK");
    assertThat(head.body()).isEmpty();
    assertThat(Integer.parseInt(head.headers().get("Content-Length"))).isPositive();

    String tooBig = "GET /metrics HTTP/1.0\r\nX-Padding: " + "a".repeat(4000) + "\r\n\r\n";
    HttpReply big = HttpReply.of(exchange(address, tooBig));
    assertThat(big.statusLine()).isEqualTo("HTTP/1.0 400 Bad Request");
    assertThat(big.body()).startsWith("bad request: ").contains("2048");
  }

  @Test
  void aStalledRequestIsDroppedAfterTheTimeout() throws IOException {
    long start = System.nanoTime();
    String reply = exchange(UnixDomainSocketAddress.of(socket), "GET /metr");
    long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    assertThat(reply).isEmpty();
    assertThat(millis).isBetween(250L, 5000L);
  }

  @Test
  void theTcpListenerBindsLoopbackOnlyAndServesTheSameText() throws Exception {
    try (MetricsHttpServer server =
        MetricsHttpServer.start(group, 0, metrics, 2048, Duration.ofSeconds(2))) {
      InetSocketAddress bound = server.address();
      assertThat(bound.getAddress().isLoopbackAddress()).isTrue();
      assertThat(bound.getAddress().getHostAddress()).isEqualTo("127.0.0.1");
      metrics.faultInjected("eio");
      HttpReply reply =
          HttpReply.of(
              exchange(
                  new InetSocketAddress("127.0.0.1", bound.getPort()),
                  "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
      assertThat(reply.statusLine()).isEqualTo("HTTP/1.1 200 OK");
      assertThat(
              PrometheusText.parse(reply.body())
                  .value("klcrypt_faults_injected_total", Map.of("kind", "eio")))
          .isEqualTo(1);
    }
  }
}
