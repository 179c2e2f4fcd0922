// The lazily loaded @jupyterlab/services bundle (dist/lazy/jupyter.js), as types only: core
// code receives the module as a value, so nothing here loads it at activation.
import type { IKernelConnection, Status } from '@jupyterlab/services/lib/kernel/kernel';
import type { IModel } from '@jupyterlab/services/lib/kernel/restapi';
import type * as JupyterServices from './lazy/jupyterServices';

export type JupyterLib = typeof JupyterServices;
export type KernelConnection = IKernelConnection;
export type KernelModel = IModel;
export type KernelStatus = Status;
