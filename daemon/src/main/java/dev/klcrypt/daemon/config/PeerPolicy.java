package dev.klcrypt.daemon.config;

import io.netty.channel.Channel;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.unix.PeerCredentials;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Function;

/**
 * Who may act on the control socket: the socket's owner and root, nobody else. The check uses the
 * peer credentials the kernel recorded at {@code connect(2)} ({@code SO_PEERCRED}), so a client
 * cannot claim another uid. File permissions on the socket (0600) are the first fence; this is the
 * second, for when a mode or a directory is wrong.
 */
public final class PeerPolicy {
  private static final int ROOT = 0;

  private final int ownerUid;

  private PeerPolicy(int ownerUid) {
    this.ownerUid = ownerUid;
  }

  /** A policy that allows {@code ownerUid} and root. */
  public static PeerPolicy ownedBy(int ownerUid) {
    if (ownerUid < 0) {
      throw new IllegalArgumentException("uid must not be negative, got " + ownerUid);
    }
    return new PeerPolicy(ownerUid);
  }

  /** A policy that allows the owner of the (already bound) socket file and root. */
  public static PeerPolicy forSocket(Path socket) throws IOException {
    return ownedBy((Integer) Files.getAttribute(socket, "unix:uid"));
  }

  /** The uid this process runs as (the owner of {@code /proc/self}). */
  public static int processUid() throws IOException {
    // Not the owner of /proc/self: klcryptd makes itself non-dumpable, and then /proc/self belongs
    // to root whatever the real uid is. The Uid: line of /proc/self/status is always the truth.
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("Uid:")) {
        return Integer.parseInt(line.substring(4).trim().split("\\s+")[0]);
      }
    }
    throw new IOException("no Uid: line in /proc/self/status");
  }

  /** The uid allowed besides root. */
  public int ownerUid() {
    return ownerUid;
  }

  /** The decision for a peer with this uid. */
  public Decision decide(int peerUid) {
    if (peerUid == ownerUid) {
      return new Decision(true, peerUid, "peer uid " + peerUid + " owns the control socket");
    }
    if (peerUid == ROOT) {
      return new Decision(true, peerUid, "peer uid 0 is root");
    }
    return new Decision(
        false,
        peerUid,
        "peer uid "
            + peerUid
            + " is neither the control socket's owner (uid "
            + ownerUid
            + ") nor root");
  }

  /** The decision for a peer whose credentials the kernel reported. */
  public Decision decide(PeerCredentials credentials) {
    return decide(credentials.uid());
  }

  /**
   * The decision for a connected Unix-socket channel; a channel whose credentials cannot be read is
   * refused (fail closed).
   */
  public Decision decide(EpollDomainSocketChannel channel) {
    PeerCredentials credentials;
    try {
      credentials = channel.peerCredentials();
    } catch (IOException e) {
      return new Decision(false, -1, "peer credentials unavailable: " + e.getMessage());
    }
    return decide(credentials);
  }

  /**
   * This policy as the control dispatcher's connection gate ({@code
   * ControlDispatcher.connectionGate}): null for an allowed peer, else the refusal reason, which
   * the control plane sends back as its error reply. Every refusal is audited. A channel that is
   * not a Unix socket has no peer credentials and is refused (fail closed).
   */
  public Function<Channel, String> connectionGate() {
    return channel -> {
      Decision decision =
          channel instanceof EpollDomainSocketChannel unix
              ? decide(unix)
              : new Decision(false, -1, "not a Unix-socket connection: no peer credentials");
      if (decision.allowed()) {
        return null;
      }
      AuditLog.refused(decision.peerUid(), decision.reason());
      return decision.reason();
    };
  }

  /**
   * @param allowed whether the peer may send requests
   * @param peerUid the peer's uid, or -1 when unknown
   * @param reason why, in words fit for the refusal's error body and the audit log
   */
  public record Decision(boolean allowed, int peerUid, String reason) {}
}
