import '@vscode-elements/elements/dist/vscode-button/index.js';
import '../shared/styles.css';
import './readiness.css';
import { ReadinessApp } from './readiness-app';

void new ReadinessApp(document.getElementById('app') as HTMLElement).start();
