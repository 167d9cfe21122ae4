/**
 * LIMIT and OFFSET as literals in the SQL text, on SQLite. A bound LIMIT (`limit ?`, as Kysely
 * compiles `.limit(1)`) lets SQLite plan with its value, so SQLite marks the statement to be
 * prepared again whenever that parameter is bound, and better-sqlite3 binds every parameter on
 * every run: each such query was parsed and planned anew every time (three times the cost of
 * `limit 1` for a small indexed lookup; intake runs four of them). A literal keeps the prepared
 * statement. Only integers are inlined; anything else (a prepared query's placeholder) stays a
 * parameter.
 */
import {
  LimitNode,
  OffsetNode,
  OperationNodeTransformer,
  ValueNode,
  type KyselyPlugin,
  type OperationNode,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  type QueryResult,
  type RootOperationNode,
  type UnknownRow,
} from 'kysely';

function literal(node: OperationNode): OperationNode {
  if (!ValueNode.is(node) || node.immediate === true) return node;
  const { value } = node;
  const integer =
    (typeof value === 'number' && Number.isSafeInteger(value)) || typeof value === 'bigint';
  return integer ? ValueNode.createImmediate(value) : node;
}

class LiteralLimits extends OperationNodeTransformer {
  protected override transformLimit(node: LimitNode): LimitNode {
    return LimitNode.create(literal(node.limit));
  }

  protected override transformOffset(node: OffsetNode): OffsetNode {
    return OffsetNode.create(literal(node.offset));
  }
}

export class SqliteLiteralLimitsPlugin implements KyselyPlugin {
  readonly #transformer = new LiteralLimits();

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    return this.#transformer.transformNode(args.node);
  }

  transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return Promise.resolve(args.result);
  }
}
