// Why a task failed, in one line: the program's own last words when it exited with a failure,
// Batch's message when Batch itself could not run it through (a download, an upload).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { failureReason } from '../../src/transcode';

const exited = {
  taskId: 'task-00001',
  inputBlob: 'noaudio.mp4',
  exitCode: 1,
  failureCode: 'FailureExitCode',
  failureMessage: 'The task exited with an exit code representing a failure',
};

test('a command that exited with a failure: the last line of its stderr', () => {
  const stderrTail =
    "Output #0, mp3, to 'output.mp3':\nOutput file #0 does not contain any stream\n\n";
  assert.equal(
    failureReason({ ...exited, stderrTail }),
    'Output file #0 does not contain any stream',
  );
});

test("no stderr (or none kept): Batch's message", () => {
  assert.equal(failureReason(exited), exited.failureMessage);
  const unavailable = "(stderr.txt not available: the node's: 404 Unexpected status code: 404)";
  assert.equal(failureReason({ ...exited, stderrTail: unavailable }), exited.failureMessage);
  assert.equal(failureReason({ ...exited, stderrTail: ' \n' }), exited.failureMessage);
});

test("Batch could not fetch an input or store an output: Batch's message, not the stderr", () => {
  const failed = {
    ...exited,
    exitCode: undefined,
    failureCode: 'ResourceContainerAccessDenied',
    failureMessage: 'Access for one of the specified Azure Blob container(s) is denied',
    stderrTail: 'an older line\n',
  };
  assert.equal(failureReason(failed), failed.failureMessage);
});

test('nothing known: an empty reason', () => {
  assert.equal(failureReason({ taskId: 't', inputBlob: 'f' }), '');
});
