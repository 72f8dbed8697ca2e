"""The tutorial's call sequence with the newest azure-batch (15.x, api 2025-06-01).

Usage: tutorial_latest.py URL ACCOUNT KEY TASK_COUNT ID_PREFIX
Prints progress, then one line `RESULT {json}` for the test to read.
"""
import json
import sys
import time

from azure.batch import BatchClient, models
from azure.core.credentials import AzureNamedKeyCredential
from azure.core.exceptions import HttpResponseError


def main():
    url, account, key, count, prefix = sys.argv[1:6]
    count = int(count)
    client = BatchClient(url, AzureNamedKeyCredential(account, key))
    pool_id, job_id = prefix + 'Pool', prefix + 'Job'

    print('Creating pool [{}]...'.format(pool_id))
    pool = models.BatchPoolCreateOptions(
        id=pool_id,
        vm_size='STANDARD_A1_v2',
        virtual_machine_configuration=models.VirtualMachineConfiguration(
            image_reference=models.BatchVmImageReference(
                publisher='canonical', offer='ubuntu-24_04-lts', sku='server-gen1',
                version='latest'),
            node_agent_sku_id='batch.node.ubuntu 24.04'),
        target_dedicated_nodes=0,
        target_low_priority_nodes=2,
        task_slots_per_node=2,
        start_task=models.BatchStartTask(
            command_line='/bin/bash -c "apt-get update && apt-get install -y ffmpeg"',
            wait_for_success=True,
            user_identity=models.UserIdentity(
                auto_user=models.AutoUserSpecification(scope='pool', elevation_level='admin'))))
    client.create_pool(pool=pool)
    exists_error = None
    try:
        client.create_pool(pool=pool)  # the tutorial run a second time
    except HttpResponseError as err:
        exists_error = err.error.code if err.error else None

    print('Creating job [{}]...'.format(job_id))
    client.create_job(job=models.BatchJobCreateOptions(
        id=job_id, pool_info=models.BatchPoolInfo(pool_id=pool_id)))

    print('Adding {} tasks to job [{}]...'.format(count, job_id))
    tasks = [models.BatchTaskCreateOptions(
        id='Task{}'.format(i),
        command_line='/bin/bash -c "echo converted $AZ_BATCH_TASK_ID | tee out.txt"',
        output_files=[models.OutputFile(
            file_pattern='out.txt',
            destination=models.OutputFileDestination(
                container=models.OutputFileBlobContainerDestination(
                    container_url='http://127.0.0.1:9/output?sv=x')),
            upload_options=models.OutputFileUploadConfiguration(upload_condition='taskfailure'))])
        for i in range(count)]
    client.create_tasks(job_id, tasks)

    print('Monitoring all tasks for \'Completed\' state', end='')
    deadline = time.time() + 120
    while time.time() < deadline:
        print('.', end='', flush=True)
        listed = list(client.list_tasks(job_id))
        if all(t.state == models.BatchTaskState.COMPLETED for t in listed):
            break
        time.sleep(0.2)
    print()
    counts = client.get_job_task_counts(job_id)
    pool = client.get_pool(pool_id)
    nodes = list(client.list_nodes(pool_id))
    stdout = b''.join(client.download_task_file(job_id, 'Task0', 'stdout.txt'))

    client.begin_delete_job(job_id, polling_interval=0.2).result()
    client.begin_delete_pool(pool_id, polling_interval=0.2).result()
    print(' Success! All tasks reached the \'Completed\' state within the specified timeout period.')
    print('RESULT ' + json.dumps({
        'listed': len(listed),
        'completed': sum(1 for t in listed if t.state == models.BatchTaskState.COMPLETED),
        'exitCodes': sorted({t.execution_info.exit_code for t in listed}),
        'succeeded': counts.task_counts.succeeded,
        'failed': counts.task_counts.failed,
        'taskSlotsPerNode': pool.task_slots_per_node,
        'lowPriorityNodes': pool.current_low_priority_nodes,
        'nodeStates': sorted(str(n.state) for n in nodes),
        'startTaskExit': sorted({n.start_task_info.exit_code for n in nodes}),
        'poolExists': exists_error,
        'stdout': stdout.decode(),
    }))


if __name__ == '__main__':
    main()
