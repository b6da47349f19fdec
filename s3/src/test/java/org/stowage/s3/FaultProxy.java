package org.stowage.s3;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;

/**
 * A TCP proxy on 127.0.0.1 that forwards every connection it accepts to a target (an s3proxy
 * server) and injects faults into chosen connections: it can close a connection after a number of
 * bytes in one direction ({@link Kind#DROP}), reset it with an RST ({@link Kind#RESET}, {@code
 * SO_LINGER} 0), or stop forwarding in one direction ({@link Kind#STALL}) until the test {@linkplain
 * #releaseStalls() releases} it or the client gives up and closes.
 *
 * <p>The schedule is deterministic: a {@linkplain #arm plan} maps the number of each connection
 * accepted after arming (1, 2, 3, ...) to the fault it gets, or {@code null}. A client with a fresh
 * connection pool that sends the same requests therefore meets the same faults at the same bytes.
 *
 * <p>Plain sockets and one thread per direction; no sleeping anywhere: a stalled direction keeps
 * reading from its source (holding the bytes back) so that it notices when the client closes.
 */
final class FaultProxy implements AutoCloseable {
  /** Which way bytes flow. */
  enum Direction {
    /** From the client to the server: requests and their bodies. */
    UP,
    /** From the server to the client: responses and their bodies. */
    DOWN
  }

  /** What happens to a faulted connection. */
  enum Kind {
    /** Close both sides normally (FIN) once the bytes are forwarded. */
    DROP,
    /** Close both sides with an RST (SO_LINGER 0) once the bytes are forwarded. */
    RESET,
    /** Hold back every further byte of the direction until released or closed. */
    STALL
  }

  /**
   * A fault: after forwarding {@code afterBytes} bytes in {@code direction} on a connection, when
   * more bytes arrive, do {@code kind}. A connection that never carries more than {@code
   * afterBytes} bytes that way is not faulted.
   *
   * <p>With a {@code marker}, the bytes are counted only from the moment the client has sent the
   * marker (an ASCII string, such as {@code "?uploads"} of a request line) for the {@code
   * occurrence}-th time on the connection: {@code Fault(DROP, DOWN, 0, "?uploads", 2)} drops the
   * response to the second request whose line holds {@code ?uploads}, before its first byte.
   */
  record Fault(Kind kind, Direction direction, long afterBytes, String marker, int occurrence) {
    Fault(Kind kind, Direction direction, long afterBytes) {
      this(kind, direction, afterBytes, null, 0);
    }

    @Override
    public String toString() {
      return kind + " " + direction + " after " + afterBytes + " B"
          + (marker == null ? "" : " following request #" + occurrence + " holding \"" + marker + "\"");
    }
  }

  private final ServerSocket server;
  private final InetSocketAddress target;
  private final Set<Connection> live = ConcurrentHashMap.newKeySet();
  private final AtomicInteger accepted = new AtomicInteger();
  private final AtomicInteger fired = new AtomicInteger();
  private final java.util.concurrent.atomic.AtomicLong up = new java.util.concurrent.atomic.AtomicLong();
  private final java.util.concurrent.atomic.AtomicLong down = new java.util.concurrent.atomic.AtomicLong();
  private volatile IntFunction<Fault> plan = k -> null;
  private final StringBuffer requests = new StringBuffer();
  private volatile boolean recording;
  private volatile CompletableFuture<Integer> nextStall = new CompletableFuture<>();

  /** Starts a proxy on a free port of 127.0.0.1 that forwards to {@code targetPort} there. */
  FaultProxy(int targetPort) throws IOException {
    this.target = new InetSocketAddress(InetAddress.getLoopbackAddress(), targetPort);
    this.server = new ServerSocket(0, 100, InetAddress.getLoopbackAddress());
    Thread acceptor = new Thread(this::acceptLoop, "fault-proxy-accept");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  /** The proxy's endpoint, for a client's endpoint override. */
  URI uri() {
    return URI.create("http://127.0.0.1:" + server.getLocalPort());
  }

  /**
   * Applies {@code plan} to the connections accepted from now on, numbered from 1, and resets the
   * counters. Connections already open keep the plan they were accepted under.
   */
  void arm(IntFunction<Fault> plan) {
    this.plan = plan;
    accepted.set(0);
    fired.set(0);
    up.set(0);
    down.set(0);
    nextStall = new CompletableFuture<>();
  }

  /** No faults for connections accepted from now on. */
  void disarm() {
    arm(k -> null);
  }

  /** Connections accepted since the last {@link #arm}. */
  int connections() {
    return accepted.get();
  }

  /** Bytes forwarded in {@code direction} since the last {@link #arm}, on all connections. */
  long traffic(Direction direction) {
    return direction == Direction.UP ? up.get() : down.get();
  }

  /** Whether to keep what clients send, for {@link #takeRecording()}; off by default. */
  void record(boolean on) {
    recording = on;
  }

  /**
   * What clients sent through the proxy since the last call (requests and their bodies, as
   * ISO-8859-1 text), for tests that look for what went over the wire.
   */
  String takeRecording() {
    synchronized (requests) {
      String sent = requests.toString();
      requests.setLength(0);
      return sent;
    }
  }

  /** Faults that happened since the last {@link #arm}. */
  int faultsFired() {
    return fired.get();
  }

  /**
   * Completes with the number of the connection when the first stall since the last {@link #arm}
   * begins.
   */
  CompletableFuture<Integer> firstStall() {
    return nextStall;
  }

  /** Lets every stalled connection forward what it held back, and go on as if never stalled. */
  void releaseStalls() {
    for (Connection c : live) {
      c.release();
    }
  }

  /** Closes every open connection (with an RST), as a server that restarts would. */
  void closeAll() {
    for (Connection c : live) {
      c.close(true);
    }
  }

  @Override
  public void close() throws IOException {
    server.close();
    closeAll();
  }

  private void acceptLoop() {
    while (!server.isClosed()) {
      Socket client;
      try {
        client = server.accept();
      } catch (IOException e) {
        return; // closed
      }
      int number = accepted.incrementAndGet();
      Fault fault = plan.apply(number);
      Socket upstream = new Socket();
      try {
        client.setTcpNoDelay(true);
        upstream.setTcpNoDelay(true);
        upstream.connect(target, 5_000);
      } catch (IOException e) {
        closeQuietly(client);
        closeQuietly(upstream);
        continue;
      }
      Connection c = new Connection(number, client, upstream, fault);
      live.add(c);
      c.start();
    }
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException ignored) {
      // closing anyway
    }
  }

  /** One proxied connection: two pumps, one per direction. */
  private final class Connection {
    private final int number;
    private final Socket client;
    private final Socket upstream;
    private final Fault fault;
    private final Object lock = new Object();
    private boolean closed;
    private Pump stalledPump;
    /** How often the client has sent the fault's marker on this connection. */
    private final AtomicInteger markers = new AtomicInteger();

    Connection(int number, Socket client, Socket upstream, Fault fault) {
      this.number = number;
      this.client = client;
      this.upstream = upstream;
      this.fault = fault;
    }

    void start() {
      try {
        Pump up = new Pump(Direction.UP, client.getInputStream(), upstream.getOutputStream());
        Pump down = new Pump(Direction.DOWN, upstream.getInputStream(), client.getOutputStream());
        up.start();
        down.start();
      } catch (IOException e) {
        close(false);
      }
    }

    void release() {
      Pump p;
      synchronized (lock) {
        p = stalledPump;
        stalledPump = null;
      }
      if (p != null) {
        p.unstall();
      }
    }

    void close(boolean reset) {
      synchronized (lock) {
        if (closed) {
          return;
        }
        closed = true;
      }
      live.remove(this);
      if (reset) {
        try {
          client.setSoLinger(true, 0);
          upstream.setSoLinger(true, 0);
        } catch (IOException ignored) {
          // closing anyway
        }
      }
      closeQuietly(client);
      closeQuietly(upstream);
    }

    /** Copies one direction, applying the connection's fault if it is for this direction. */
    private final class Pump extends Thread {
      private final Direction direction;
      private final InputStream in;
      private final OutputStream out;
      private final ByteArrayOutputStream held = new ByteArrayOutputStream();
      private boolean stalled;
      private boolean ended;

      Pump(Direction direction, InputStream in, OutputStream out) {
        super("fault-proxy-" + number + "-" + direction);
        setDaemon(true);
        this.direction = direction;
        this.in = in;
        this.out = out;
      }

      @Override
      public void run() {
        byte[] buffer = new byte[16 * 1024];
        boolean armed = fault != null && fault.direction() == direction;
        String marker = fault == null ? null : fault.marker();
        String tail = "";
        long counted = 0;
        try {
          while (true) {
            int n = in.read(buffer);
            if (n < 0) {
              synchronized (this) {
                ended = true;
                if (stalled && direction == Direction.DOWN) {
                  // The server has said everything: keep the connection until the test releases
                  // the stall or the client, still waiting, gives up and closes.
                  return;
                }
              }
              break;
            }
            if (marker != null && direction == Direction.UP) {
              String text = tail + new String(buffer, 0, n, StandardCharsets.ISO_8859_1);
              for (int i = text.indexOf(marker); i >= 0; i = text.indexOf(marker, i + 1)) {
                markers.incrementAndGet();
              }
              tail = text.substring(Math.max(0, text.length() - (marker.length() - 1)));
            }
            int offset = 0;
            boolean counting = marker == null || markers.get() >= fault.occurrence();
            if (armed && counting && counted + n > fault.afterBytes()) {
              armed = false;
              int before = (int) (fault.afterBytes() - counted);
              write(buffer, 0, before);
              fired.incrementAndGet();
              if (fault.kind() == Kind.STALL) {
                synchronized (this) {
                  stalled = true;
                }
                synchronized (lock) {
                  stalledPump = this;
                }
                nextStall.complete(number);
                offset = before;
              } else {
                close(fault.kind() == Kind.RESET);
                return;
              }
            }
            if (armed && counting) {
              counted += n;
            }
            write(buffer, offset, n - offset);
          }
        } catch (IOException e) {
          // the other side went away, or the connection was closed
        }
        close(false);
      }

      private synchronized void write(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
          return;
        }
        if (stalled) {
          held.write(b, off, len);
        } else {
          out.write(b, off, len);
          out.flush();
          (direction == Direction.UP ? up : down).addAndGet(len);
          if (direction == Direction.UP && recording) {
            requests.append(new String(b, off, len, StandardCharsets.ISO_8859_1));
          }
        }
      }

      /** Forwards what was held back and goes on forwarding. */
      void unstall() {
        boolean end;
        synchronized (this) {
          stalled = false;
          try {
            byte[] bytes = held.toByteArray();
            held.reset();
            out.write(bytes);
            out.flush();
          } catch (IOException e) {
            close(false);
            return;
          }
          end = ended;
        }
        if (end) {
          close(false);
        }
      }
    }
  }
}
