"""The tutorial's call sequence with azure-batch 6.0.0 (the tutorial's own pin, api 2018-12-01.8.0).

Usage: tutorial_v6.py URL ACCOUNT KEY TASK_COUNT ID_PREFIX
Prints progress, then one line `RESULT {json}` for the test to read.
"""
import json
import sys
import time

import azure.batch.batch_auth as batch_auth
import azure.batch.models as batchmodels
from azure.batch import BatchServiceClient


def main():
    url, account, key, count, prefix = sys.argv[1:6]
    count = int(count)
    client = BatchServiceClient(batch_auth.SharedKeyCredentials(account, key), batch_url=url)
    pool_id, job_id = prefix + 'Pool', prefix + 'Job'

    print('Creating pool [{}]...'.format(pool_id))
    # The tutorial's Canonical UbuntuServer 18.04-LTS (batch.node.ubuntu 18.04) is retired on
    # Batch: Ubuntu 24.04 as today's samples use it, the Gen1 sku for the Gen1-only A1_v2.
    pool = batchmodels.PoolAddParameter(
        id=pool_id,
        virtual_machine_configuration=batchmodels.VirtualMachineConfiguration(
            image_reference=batchmodels.ImageReference(
                publisher='canonical', offer='ubuntu-24_04-lts', sku='server-gen1',
                version='latest'),
            node_agent_sku_id='batch.node.ubuntu 24.04'),
        vm_size='STANDARD_A1_v2',
        target_dedicated_nodes=0,
        target_low_priority_nodes=2,
        max_tasks_per_node=2,
        start_task=batchmodels.StartTask(
            command_line='/bin/bash -c "apt-get update && apt-get install -y ffmpeg"',
            wait_for_success=True,
            user_identity=batchmodels.UserIdentity(
                auto_user=batchmodels.AutoUserSpecification(
                    scope=batchmodels.AutoUserScope.pool,
                    elevation_level=batchmodels.ElevationLevel.admin))))
    client.pool.add(pool)
    exists_error = None
    try:
        client.pool.add(pool)  # the tutorial run a second time
    except batchmodels.BatchErrorException as err:
        exists_error = err.error.code

    print('Creating job [{}]...'.format(job_id))
    client.job.add(batchmodels.JobAddParameter(
        id=job_id, pool_info=batchmodels.PoolInformation(pool_id=pool_id)))

    print('Adding {} tasks to job [{}]...'.format(count, job_id))
    tasks = [batchmodels.TaskAddParameter(
        id='Task{}'.format(i),
        command_line='/bin/bash -c "echo converted $AZ_BATCH_TASK_ID | tee out.txt"',
        output_files=[batchmodels.OutputFile(
            file_pattern='out.txt',
            destination=batchmodels.OutputFileDestination(
                container=batchmodels.OutputFileBlobContainerDestination(
                    container_url='http://127.0.0.1:9/output?sv=x')),
            upload_options=batchmodels.OutputFileUploadOptions(
                upload_condition=batchmodels.OutputFileUploadCondition.task_failure))])
        for i in range(count)]
    client.task.add_collection(job_id, tasks)

    print('Monitoring all tasks for \'Completed\' state', end='')
    deadline = time.time() + 120
    while time.time() < deadline:
        print('.', end='', flush=True)
        listed = list(client.task.list(job_id))
        if all(t.state == batchmodels.TaskState.completed for t in listed):
            break
        time.sleep(0.2)
    print()
    counts = client.job.get_task_counts(job_id)
    pool = client.pool.get(pool_id)
    nodes = list(client.compute_node.list(pool_id))
    stdout = b''.join(client.file.get_from_task(job_id, 'Task0', 'stdout.txt'))

    client.job.delete(job_id)
    client.pool.delete(pool_id)
    print(' Success! All tasks reached the \'Completed\' state within the specified timeout period.')
    print('RESULT ' + json.dumps({
        'listed': len(listed),
        'completed': sum(1 for t in listed if t.state == batchmodels.TaskState.completed),
        'exitCodes': sorted({t.execution_info.exit_code for t in listed}),
        'succeeded': counts.succeeded,
        'failed': counts.failed,
        'maxTasksPerNode': pool.max_tasks_per_node,
        'lowPriorityNodes': pool.current_low_priority_nodes,
        'nodeStates': sorted(n.state.value for n in nodes),
        'startTaskExit': sorted({n.start_task_info.exit_code for n in nodes}),
        'poolExists': exists_error,
        'stdout': stdout.decode(),
    }))


if __name__ == '__main__':
    main()
