/**
 * Step Functions values AWS accepts beyond the provider's types, for any state machine the program creates:
 * the name (1-80 characters, none of the reserved ones) and the definition's size (1 MB, a hard quota).
 */
import { acceptsRule, at, str, type Finding } from "./rule";

const STATE_MACHINE = "aws:sfn/stateMachine:StateMachine";
export const SFN_NAME_MAX = 80;
/** "Maximum size of a state machine definition: 1 MB", read as 1,048,576 bytes of UTF-8. */
export const SFN_DEFINITION_MAX_BYTES = 1024 * 1024;

/** Why Step Functions would refuse `name` (the rule for state machines, executions and activities). */
export function sfnNameProblem(name: string): string | undefined {
  if (name.length < 1 || name.length > SFN_NAME_MAX) return `must be 1..${SFN_NAME_MAX} characters, is ${name.length}`;
  if (/\s/.test(name)) return "cannot contain white space";
  if (/[<>{}[\]]/.test(name)) return "cannot contain brackets < > { } [ ]";
  if (/[?*]/.test(name)) return "cannot contain wildcard characters ? *";
  if (/["#%\\^|~`$&,;:/]/.test(name)) return 'cannot contain any of " # % \\ ^ | ~ ` $ & , ; : /';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f]/.test(name)) return "cannot contain control characters";
  return undefined;
}

// https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html (general quotas: names;
// "Maximum size of a state machine definition: 1 MB, hard quota");
// https://docs.aws.amazon.com/step-functions/latest/apireference/API_StateMachineListItem.html (name 1..80)
export const stateMachine = acceptsRule({
  name: "aws-accepts-state-machine",
  description: "A state machine's name is 1-80 characters without reserved ones, and its definition at most 1 MB.",
  meta: {
    types: [STATE_MACHINE],
    field: "name, namePrefix, definition",
    limit:
      'name 1..80, no white space, < > { } [ ] ? * " # % \\ ^ | ~ ` $ & , ; : / or control characters; definition <= 1 MB',
    source: "https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html",
  },
  check: (p) => {
    const out: Finding[] = [];
    if (str(p.name)) out.push(...at("name", p.name, sfnNameProblem(p.name)));
    if (str(p.namePrefix)) out.push(...at("namePrefix", p.namePrefix, sfnNameProblem(p.namePrefix)));
    if (str(p.definition)) {
      const bytes = Buffer.byteLength(p.definition, "utf8");
      if (bytes > SFN_DEFINITION_MAX_BYTES)
        out.push(
          ...at("definition", p.definition, `must be at most ${SFN_DEFINITION_MAX_BYTES} bytes (1 MB), is ${bytes}`),
        );
    }
    return out;
  },
});

export const SFN_RULES = [stateMachine];
