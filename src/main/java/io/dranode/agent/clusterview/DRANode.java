package io.dranode.agent.clusterview;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn.Type;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Singular;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * One node's DRA drivers as its agent sees them: cluster-scoped, named like the node, owned by its
 * Node (so garbage collection removes it with the Node), with a status subresource that only the
 * agent writes. The CRD is generated from this class and the types of {@link DRANodeStatus} at
 * build time; the chart ships the result.
 */
@Group(DRANode.GROUP)
@Version(DRANode.VERSION)
@Kind(DRANode.KIND)
@Plural(DRANode.PLURAL)
@Singular("dranode")
@ShortNames("dran")
@AdditionalPrinterColumn(
    name = "Drivers",
    jsonPath = ".status.summary.drivers",
    type = Type.INTEGER,
    getDescription = "DRA drivers known on the node")
@AdditionalPrinterColumn(
    name = "Usable",
    jsonPath = ".status.summary.usable",
    type = Type.INTEGER,
    getDescription = "Drivers with a connected instance")
@AdditionalPrinterColumn(
    name = "NotReady",
    jsonPath = ".status.summary.notReady",
    type = Type.INTEGER,
    getDescription = "Drivers with a False condition")
@AdditionalPrinterColumn(
    name = "Rejected",
    jsonPath = ".status.summary.rejectedSockets",
    type = Type.INTEGER,
    getDescription = "Registration sockets whose plugin is not registered")
@AdditionalPrinterColumn(
    name = "PendingWipes",
    jsonPath = ".status.summary.pendingWipes",
    type = Type.INTEGER,
    getDescription = "Drivers whose ResourceSlices on the node are due to be deleted")
@AdditionalPrinterColumn(
    name = "Mode",
    jsonPath = ".status.agent.mode",
    type = Type.STRING,
    getDescription = "registrar or observer")
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp", type = Type.DATE)
public class DRANode extends CustomResource<Void, DRANodeStatus> {

  public static final String GROUP = "dra.dranode.io";
  public static final String VERSION = "v1alpha1";
  public static final String KIND = "DRANode";
  public static final String PLURAL = "dranodes";

  /** The CRD's name, {@code <plural>.<group>}. */
  public static final String CRD_NAME = PLURAL + "." + GROUP;
}
