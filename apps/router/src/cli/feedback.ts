import { Kafka, logLevel } from 'kafkajs';
import { DEFAULT_TOPICS, feedbackV1Schema, describeIssues, type FeedbackV1Input } from '@switchyard/contracts';
import { parseArgs, strArg } from './args';

const USAGE = `Send feedback v1 on an answer to Switchyard (topic llm.feedback): the router learns it for
the arm and request class that served the request.

  npm run feedback -- <requestId> <score 0..1 | good | bad> [options]

  --metric NAME       what was judged [quality]
  --source NAME       who judged: user, evaluator, judge, ... [cli]
  --comment TEXT      free text kept with the feedback
  --brokers LIST      Kafka brokers [KAFKA_BROKERS or 127.0.0.1:9092]
  --topic NAME        feedback topic [TOPIC_FEEDBACK or llm.feedback]`;

/** The feedback record for a command line; throws with a message naming the bad argument. */
export function feedbackFromArgs(requestId: string | undefined, verdict: string | undefined, options: Record<string, string | true>): FeedbackV1Input {
  if (!requestId || !verdict) throw new Error('give a request id and a score (0..1) or good|bad');
  const judged = verdict === 'good' || verdict === 'bad' ? { label: verdict as 'good' | 'bad' } : { score: Number(verdict) };
  const feedback: FeedbackV1Input = {
    schemaVersion: 1,
    requestId,
    ...judged,
    metric: strArg(options, 'metric', 'quality'),
    source: strArg(options, 'source', 'cli'),
    ...(options.comment !== undefined ? { comment: strArg(options, 'comment', '') } : {}),
  };
  const parsed = feedbackV1Schema.safeParse(feedback);
  if (!parsed.success) throw new Error(`invalid feedback: ${describeIssues(parsed.error)}`);
  return feedback;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const positional = argv.filter((a, i) => !a.startsWith('--') && (i === 0 || !argv[i - 1].startsWith('--')));
  const options = parseArgs(argv.filter((a) => !positional.includes(a)));
  if (options.help || positional.length < 2) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(options.help ? 0 : 2);
  }
  let feedback: FeedbackV1Input;
  try {
    feedback = feedbackFromArgs(positional[0], positional[1], options);
  } catch (err) {
    process.stderr.write(`feedback: ${(err as Error).message}\n`);
    process.exit(2);
  }
  const brokers = strArg(options, 'brokers', process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
  const topic = strArg(options, 'topic', process.env.TOPIC_FEEDBACK ?? DEFAULT_TOPICS.feedback);
  const producer = new Kafka({ clientId: 'switchyard-feedback', brokers, logLevel: logLevel.NOTHING }).producer({ allowAutoTopicCreation: true });
  await producer.connect();
  await producer.send({ topic, messages: [{ key: feedback.requestId, value: JSON.stringify(feedback), headers: { 'content-type': 'application/json' } }] });
  await producer.disconnect();
  process.stdout.write(`sent feedback on ${feedback.requestId} to ${topic}: ${JSON.stringify(feedback)}\n`);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`feedback: ${(err as Error).message}\n`);
    process.exit(1);
  });
}
