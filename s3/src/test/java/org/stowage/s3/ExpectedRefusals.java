package org.stowage.s3;

import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.InvocationInterceptor;
import org.junit.jupiter.api.extension.ReflectiveInvocationContext;
import org.opentest4j.TestAbortedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.stowage.s3.S3ServerFeatures.Refusal;

/**
 * An exclude list for the contract suite on a server with known deviations, as the JSR-107 TCK
 * has: each entry names a test ({@code <nested class>.<method>}, e.g. {@code StoringChecks.createRace})
 * that the server is expected to fail, and why.
 *
 * <ul>
 *   <li>A listed test runs; if it fails, it is reported as skipped ("refused as expected", with the
 *       failure), never as passed; if it passes (a race the server did not lose this time), it
 *       passes, and the report says so.
 *   <li>A listed test marked {@linkplain #skip not run} (one that would only wait for a timeout)
 *       is skipped with its reason.
 *   <li>An unlisted test runs as usual: its failure fails the build.
 * </ul>
 *
 * After the suite the report, which rules each test kept and which it could not, is logged at
 * INFO and written to {@code target/contract-report-<test class>.txt}.
 *
 * <p>Used as an extension ({@code @ExtendWith(ExpectedRefusals.class)}) on a test class that
 * implements {@link Listed}; the list is asked of the outermost test instance, so that a subclass
 * gives its own.
 */
final class ExpectedRefusals implements InvocationInterceptor, AfterAllCallback {
  private static final Logger LOG = LoggerFactory.getLogger(ExpectedRefusals.class);

  /** A test class whose server has a list of expected refusals. */
  interface Listed {
    ExpectedRefusals expectedRefusals();
  }

  private static final ExtensionContext.Namespace NS =
      ExtensionContext.Namespace.create(ExpectedRefusals.class);

  /** An expected refusal: the test, the server's missing feature, and whether it runs. */
  record Entry(String test, String feature, boolean run) {}

  private final String server;
  private final Map<String, Entry> entries = new LinkedHashMap<>();

  /** For JUnit, as an extension; the list itself comes from the test instance. */
  ExpectedRefusals() {
    this("(extension)");
  }

  private ExpectedRefusals(String server) {
    this.server = server;
  }

  String server() {
    return server;
  }

  /**
   * s3proxy 4.1.0 as the tests run it: its nio2 store can answer a {@code GetObject} with the
   * ETag and metadata of one version and the bytes of the next (an object renamed over between
   * {@code AbstractNio2BlobStore.getBlobInternal}'s attribute reads and its file open; {@link
   * S3TornGetTest} shows it with the bare SDK). Stowage's verified reads then fail as changed,
   * which the testkit's stress check (a tight writer/verifier loop) reports as T1.1. A single GET
   * of S3 returns one version.
   */
  static ExpectedRefusals s3proxy() {
    return none("s3proxy").refuse("ThreadChecks.stress",
        "T1.1: s3proxy's nio2 store can answer a GET with one version's metadata and the next's"
            + " bytes");
  }

  /** An empty list, for a server expected to keep every rule. */
  static ExpectedRefusals none(String server) {
    return new ExpectedRefusals(server);
  }

  /**
   * The tests that the refusals the probe found make fail: the list for an endpoint known only by
   * its probe (an external one).
   */
  static ExpectedRefusals of(S3ServerFeatures features) {
    ExpectedRefusals r = new ExpectedRefusals(features.server());
    for (Refusal refusal : features.refusals()) {
      for (String test : testsFailedBy(features, refusal)) {
        r.refuse(test, refusal.feature());
      }
    }
    return r;
  }

  /** The contract tests that a refusal makes fail. */
  static List<String> testsFailedBy(S3ServerFeatures f, Refusal refusal) {
    List<String> tests = new ArrayList<>();
    switch (refusal.rules()) {
      // Every test that stores with CREATE, SKIP_IF_EXISTS or FAIL_IF_DIFFERENT, refused at once.
      case "S5" -> tests.addAll(List.of("StoringChecks.create", "StoringChecks.createRace",
          "StoringChecks.skip", "StoringChecks.failIfDifferent", "StoringChecks.policyProperty",
          "StoringChecks.failedStore", "StoringChecks.storedArrayIsCopied",
          "ThreadChecks.sharedRoot", "ThreadChecks.linearizable", "ThreadChecks.stress",
          "ThreadChecks.errors", "Model.sequences",
          "CopyMoveChecks.policies", "CopyMoveChecks.move", "CopyMoveChecks.concurrentMoves",
          "AdoptPathChecks.create", "AdoptPathChecks.skipIfExists"));
      case "S5 under T1" -> tests.addAll(List.of("StoringChecks.createRace", "ThreadChecks.sharedRoot",
          "ThreadChecks.linearizable", "ThreadChecks.stress"));
      case "I2" -> {
        tests.addAll(List.of("ListingChecks.order", "ListingChecks.listingProperty",
            "ListingChecks.startAfterProperty", "ListingChecks.objectsProperty", "Model.sequences"));
        if (f.listingOrder() == S3ServerFeatures.ListingOrder.OTHER) {
          // Out of order for plain ASCII keys too ("a-b" before "a"): every listing of keys
          // where one is another followed by a character below '.', or by '/'.
          tests.addAll(List.of("ListingChecks.plainPrefix", "ListingChecks.boundsAtTheEnd",
              "LocationChecks.verbatim", "LocationChecks.objectInsideObject", "DeletingChecks.nested"));
        }
      }
      case "D1, M2" -> tests.addAll(List.of("ThreadChecks.sharedRoot", "Model.sequences"));
      default -> {
        // S2 (Content-MD5 as BadRequest, or checked by ETag), S4, abort: no contract test fails
        // for them alone; the probe's report and the S3 tests show them.
      }
    }
    return tests;
  }

  /** Expects {@code test} to fail on this server because it lacks {@code feature}. */
  ExpectedRefusals refuse(String test, String feature) {
    entries.merge(test, new Entry(test, feature, true),
        (a, b) -> new Entry(test, a.feature() + "; " + b.feature(), a.run() && b.run()));
    return this;
  }

  /** As {@link #refuse}, without running the test: on this server it only waits for a timeout. */
  ExpectedRefusals skip(String test, String feature) {
    entries.put(test, new Entry(test, feature, false));
    return this;
  }

  /** The listed tests and why, for the report and the tests of this class. */
  Map<String, Entry> entries() {
    return Collections.unmodifiableMap(entries);
  }

  @Override
  public void interceptTestMethod(
      Invocation<Void> invocation,
      ReflectiveInvocationContext<Method> invocationContext,
      ExtensionContext context)
      throws Throwable {
    Method m = invocationContext.getExecutable();
    String id = m.getDeclaringClass().getSimpleName() + "." + m.getName();
    String name = id + " \"" + context.getDisplayName() + "\"";
    Object outermost = context.getRequiredTestInstances().getAllInstances().get(0);
    ExpectedRefusals list = ((Listed) outermost).expectedRefusals();
    Map<String, String> outcomes = outcomes(context, list.server());
    Entry entry = list.entries.get(id);
    String server = list.server();
    if (entry == null) {
      try {
        invocation.proceed();
        outcomes.put(id, "kept     " + name);
      } catch (TestAbortedException e) {
        outcomes.put(id, "skipped  " + name + ": " + e.getMessage());
        throw e;
      } catch (Throwable t) {
        outcomes.put(id, "FAILED   " + name + ": " + t.getMessage());
        throw t;
      }
      return;
    }
    if (!entry.run()) {
      invocation.skip();
      outcomes.put(id, "refused  " + name + " (not run): " + entry.feature());
      throw new TestAbortedException(
          "expected refusal on " + server + ", not run: " + entry.feature());
    }
    try {
      invocation.proceed();
      outcomes.put(id, "kept     " + name + " (listed as refused: " + entry.feature()
          + "; the server kept it this time)");
    } catch (TestAbortedException e) {
      outcomes.put(id, "skipped  " + name + ": " + e.getMessage());
      throw e;
    } catch (Throwable t) {
      outcomes.put(id, "refused  " + name + ", as expected: " + entry.feature());
      throw new TestAbortedException(
          "expected refusal on " + server + " (" + entry.feature() + "): " + t.getMessage(), t);
    }
  }

  /** Test id to its outcome line, kept in the outermost class's store. */
  @SuppressWarnings("unchecked")
  private static Map<String, String> outcomes(ExtensionContext context, String server) {
    ExtensionContext outermost = context;
    while (outermost.getParent().isPresent()
        && outermost.getTestClass().map(c -> c.getEnclosingClass() != null).orElse(true)) {
      outermost = outermost.getParent().get();
    }
    outermost.getStore(NS).getOrComputeIfAbsent("server", k -> server);
    return (Map<String, String>) outermost.getStore(NS).getOrComputeIfAbsent(
        "outcomes", k -> Collections.synchronizedMap(new TreeMap<String, String>()));
  }

  @Override
  @SuppressWarnings("unchecked")
  public void afterAll(ExtensionContext context) {
    if (context.getRequiredTestClass().getEnclosingClass() != null) {
      return; // a nested class: report once, after the outermost
    }
    Map<String, String> outcomes = (Map<String, String>) context.getStore(NS).get("outcomes");
    String server = (String) context.getStore(NS).get("server");
    if (outcomes == null) {
      return;
    }
    List<String> lines = new ArrayList<>();
    lines.add("Contract suite on " + server + ": " + outcomes.size() + " tests");
    synchronized (outcomes) {
      outcomes.values().forEach(o -> lines.add("  " + o));
    }
    String report = String.join("\n", lines);
    LOG.info("{}", report);
    Path target = Paths.get("target");
    if (Files.isDirectory(target)) {
      String file = "contract-report-" + context.getRequiredTestClass().getSimpleName() + ".txt";
      try {
        Files.writeString(target.resolve(file), report + "\n", StandardCharsets.UTF_8);
      } catch (IOException e) {
        LOG.warn("cannot write the contract report {}: {}", file, e.toString());
      }
    }
  }
}
