package dev.llamaj.kernels.cuda;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectPackage;

import java.io.PrintWriter;
import java.util.Arrays;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.engine.DiscoverySelector;
import org.junit.platform.engine.TestExecutionResult;

/**
 * Runs test packages without Maven, for the GPU machine (device/run-on-gpu.sh): prints each
 * test's outcome and a summary, exits 1 when anything failed, 2 when nothing ran.
 * Arguments: package names (with their subpackages) or class names, told apart by whether the
 * last segment starts with a capital (default: this package).
 */
public final class DeviceTestMain {
    private DeviceTestMain() {
    }

    public static void main(String[] args) {
        String[] packages = args.length > 0 ? args : new String[] {"dev.llamaj.kernels.cuda"};
        LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request()
                .selectors(Arrays.stream(packages).map(DeviceTestMain::selector).toList()).build();
        SummaryGeneratingListener summary = new SummaryGeneratingListener();
        TestExecutionListener progress = new TestExecutionListener() {
            @Override
            public void executionSkipped(TestIdentifier id, String reason) {
                System.out.println("SKIPPED " + id.getDisplayName() + ": " + reason);
            }

            @Override
            public void executionFinished(TestIdentifier id, TestExecutionResult result) {
                if (id.isTest() || result.getStatus() != TestExecutionResult.Status.SUCCESSFUL) {
                    System.out.println(result.getStatus() + " " + id.getUniqueId()
                            + result.getThrowable().map(t -> ": " + t).orElse(""));
                }
            }
        };
        LauncherFactory.create().execute(request, summary, progress);
        summary.getSummary().printTo(new PrintWriter(System.out, true));
        summary.getSummary().printFailuresTo(new PrintWriter(System.out, true), 30);
        long failed = summary.getSummary().getTotalFailureCount();
        System.exit(failed > 0 ? 1 : summary.getSummary().getTestsSucceededCount() == 0 ? 2 : 0);
    }

    private static DiscoverySelector selector(String name) {
        String last = name.substring(name.lastIndexOf('.') + 1);
        return !last.isEmpty() && Character.isUpperCase(last.charAt(0)) ? selectClass(name) : selectPackage(name);
    }
}
