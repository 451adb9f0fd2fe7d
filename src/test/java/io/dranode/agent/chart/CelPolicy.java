package io.dranode.agent.chart;

import static io.dranode.agent.chart.RenderedChart.at;
import static io.dranode.agent.chart.RenderedChart.list;
import static io.dranode.agent.chart.RenderedChart.map;

import dev.cel.bundle.Cel;
import dev.cel.bundle.CelFactory;
import dev.cel.common.CelAbstractSyntaxTree;
import dev.cel.common.CelOptions;
import dev.cel.common.CelValidationException;
import dev.cel.common.types.MapType;
import dev.cel.common.types.SimpleType;
import dev.cel.extensions.CelOptionalLibrary;
import dev.cel.runtime.CelEvaluationException;
import dev.cel.runtime.Program;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A rendered ValidatingAdmissionPolicy evaluated the way the API server evaluates it, with Google's
 * CEL for Java: every {@code matchConditions}, {@code variables} and {@code validations} expression
 * (and {@code messageExpression}) is compiled when the policy is loaded, so a syntax or type
 * mistake fails here, then evaluated against one admission request.
 *
 * <p>The environment is the one the API server gives policies: {@code request}, {@code object},
 * {@code oldObject} and {@code variables}, with optional types on. They are declared {@code dyn}
 * (the API server types them from the matched resources' schemas, but evaluates them as dynamic
 * values), so a wrong field name shows up as an evaluation error on the request table, which is
 * what {@code failurePolicy: Fail} turns into a refusal. Variables are evaluated in order, each
 * seeing the ones before it. The request's resource rules are matched as the API server matches
 * them (group, version, resource with its subresource, operation).
 */
final class CelPolicy {

  /** What the policy does with one request. */
  sealed interface Outcome {
    /** The request is outside the policy (resource rules or match conditions): not checked. */
    record NotChecked(String why) implements Outcome {}

    record Allowed() implements Outcome {}

    /**
     * Refused by a validation ({@code validation} is its index) or, when {@code validation} is -1,
     * because an expression failed to evaluate ({@code failurePolicy: Fail}).
     */
    record Denied(int validation, String reason, String message) implements Outcome {}
  }

  private record Named(String name, Program program) {}

  private record Validation(
      Program check,
      String reason,
      @Nullable String message,
      @Nullable Program messageExpression) {}

  private final Map<String, Object> spec;
  private final List<Named> matchConditions = new ArrayList<>();
  private final List<Named> variables = new ArrayList<>();
  private final List<Validation> validations = new ArrayList<>();

  private static final Cel CEL =
      CelFactory.standardCelBuilder()
          .setOptions(CelOptions.current().enableOptionalSyntax(true).build())
          .addCompilerLibraries(CelOptionalLibrary.INSTANCE)
          .addRuntimeLibraries(CelOptionalLibrary.INSTANCE)
          .addVar("request", SimpleType.DYN)
          .addVar("object", SimpleType.DYN)
          .addVar("oldObject", SimpleType.DYN)
          .addVar("variables", MapType.create(SimpleType.STRING, SimpleType.DYN))
          .build();

  CelPolicy(Map<String, Object> policy) {
    this.spec = map(at(policy, "spec"));
    for (Object condition : listOrEmpty("matchConditions")) {
      Map<String, Object> c = map(condition);
      matchConditions.add(new Named((String) c.get("name"), compile((String) c.get("expression"))));
    }
    for (Object variable : listOrEmpty("variables")) {
      Map<String, Object> v = map(variable);
      variables.add(new Named((String) v.get("name"), compile((String) v.get("expression"))));
    }
    for (Object validation : listOrEmpty("validations")) {
      Map<String, Object> v = map(validation);
      String messageExpression = (String) v.get("messageExpression");
      validations.add(
          new Validation(
              compile((String) v.get("expression")),
              (String) v.getOrDefault("reason", "Invalid"),
              (String) v.get("message"),
              messageExpression == null ? null : compile(messageExpression)));
    }
  }

  int validationCount() {
    return validations.size();
  }

  /**
   * Evaluates the policy on a request ({@code request} in the shape of an AdmissionRequest) with
   * the object as it would be after the write and as it was before (either absent as the operation
   * implies).
   */
  Outcome evaluate(
      Map<String, Object> request,
      @Nullable Map<String, Object> object,
      @Nullable Map<String, Object> oldObject) {
    if (!matchesResourceRules(request)) {
      return new Outcome.NotChecked("no resource rule matches");
    }
    Map<String, Object> activation = new HashMap<>();
    activation.put("request", request);
    // An absent object is null for CEL, as the API server passes it.
    activation.put("object", object == null ? dev.cel.common.values.NullValue.NULL_VALUE : object);
    activation.put(
        "oldObject", oldObject == null ? dev.cel.common.values.NullValue.NULL_VALUE : oldObject);
    Map<String, Object> vars = new LinkedHashMap<>();
    activation.put("variables", vars);
    try {
      for (Named condition : matchConditions) {
        if (!Boolean.TRUE.equals(condition.program().eval(activation))) {
          return new Outcome.NotChecked("match condition " + condition.name() + " is false");
        }
      }
      for (Named variable : variables) {
        vars.put(variable.name(), variable.program().eval(activation));
      }
      for (int i = 0; i < validations.size(); i++) {
        Validation validation = validations.get(i);
        if (!Boolean.TRUE.equals(validation.check().eval(activation))) {
          String message =
              validation.messageExpression() != null
                  ? (String) validation.messageExpression().eval(activation)
                  : String.valueOf(validation.message());
          return new Outcome.Denied(i, validation.reason(), message.strip());
        }
      }
    } catch (CelEvaluationException e) {
      return new Outcome.Denied(-1, "InternalError", e.getMessage());
    }
    return new Outcome.Allowed();
  }

  private boolean matchesResourceRules(Map<String, Object> request) {
    Map<String, Object> resource = map(request.get("resource"));
    String subResource = (String) request.getOrDefault("subResource", "");
    String name =
        (String) resource.get("resource") + (subResource.isEmpty() ? "" : "/" + subResource);
    for (Object r : list(at(spec, "matchConstraints.resourceRules"))) {
      Map<String, Object> rule = map(r);
      if (matches(rule, "apiGroups", resource.get("group"))
          && matches(rule, "apiVersions", resource.get("version"))
          && matches(rule, "operations", request.get("operation"))
          && matches(rule, "resources", name)) {
        return true;
      }
    }
    return false;
  }

  private static boolean matches(Map<String, Object> rule, String key, @Nullable Object value) {
    List<Object> allowed = list(rule.get(key));
    return allowed.contains("*") || allowed.contains(value);
  }

  private List<Object> listOrEmpty(String key) {
    Object value = spec.get(key);
    return value == null ? List.of() : list(value);
  }

  private static Program compile(String expression) {
    try {
      CelAbstractSyntaxTree ast = CEL.compile(expression).getAst();
      return CEL.createProgram(ast);
    } catch (CelValidationException e) {
      throw new AssertionError("the policy's CEL does not compile: " + expression + "\n" + e, e);
    } catch (CelEvaluationException e) {
      throw new AssertionError("no program for: " + expression + "\n" + e, e);
    }
  }
}
