/**
 * The deterministic total order of delivered batches (DESIGN §3): topological order with ties broken
 * by batch id — precisely, Kahn's algorithm that always emits the ready batch (all parents emitted)
 * with the smallest id (ids compared as 32-byte big-endian numbers, i.e. as lower-case hex strings).
 * Ops inside a batch keep their listed order. The order depends only on the set of batches, so every
 * replica holding the same batches orders them the same way, whatever order they arrived in.
 *
 * Incremental insertion. A newly delivered batch x has no delivered children (its children wait for
 * it), so adding it to the set S changes Kahn's run only after x becomes ready: let L be the order of
 * S and p = 1 + the largest position of a parent of x (0 without parents). For every step i ≥ p the
 * ready set of the new run is L's ready set plus x, whose minimum is L[i] unless id(x) < id(L[i]).
 * Hence the order of S ∪ {x} is L with x inserted at the first position j ≥ p where
 * id(x) < id(L[j]) (or at the end). Cost O(|L| − p) to find j, plus O(|L| − j) to renumber.
 *
 * Fast path: a batch whose parents are all the current heads (what an honest author sends when it
 * has seen everything) has p = |L| and goes at the end.
 */
import type { DagNode } from "./dag.js";

export class TotalOrder {
  private readonly list: DagNode[] = [];

  get length(): number {
    return this.list.length;
  }
  at(position: number): DagNode | undefined {
    return this.list[position];
  }
  /** The nodes in order (read-only view; do not hold on to it across inserts). */
  nodes(): readonly DagNode[] {
    return this.list;
  }

  /**
   * Inserts a newly delivered node (its parents are already in the order) and returns its position.
   * Positions of the nodes after it shift by one (their `position` fields are updated).
   */
  insert(node: DagNode, parentOf: (id: string) => DagNode | undefined): number {
    const list = this.list;
    let p = 0;
    for (const id of node.batch.header.parents) {
      const parent = parentOf(id);
      if (parent !== undefined && parent.position + 1 > p) p = parent.position + 1;
    }
    let j = p;
    while (j < list.length && !(node.id < list[j]!.id)) j++;
    if (j === list.length) list.push(node);
    else list.splice(j, 0, node);
    for (let k = j; k < list.length; k++) list[k]!.position = k;
    return j;
  }
}
