package dev.llamaj.kernels.cuda;

import dev.llamaj.core.kernels.Availability;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Skips each test of a class that needs a GPU, with the provider's reason, where cuda is not
 * available; each test shows as skipped (not the class as a whole), so CI lists what did not run.
 */
final class RequiresGpu implements ExecutionCondition {
    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        if (context.getTestMethod().isEmpty()) {
            return ConditionEvaluationResult.enabled("decided per test");
        }
        Availability a = new CudaKernelProvider().availability();
        return a.available() ? ConditionEvaluationResult.enabled("GPU: " + a.reason())
                : ConditionEvaluationResult.disabled("needs a GPU; cuda is unavailable: " + a.reason());
    }
}
