import '@vscode-elements/elements/dist/vscode-badge/index.js';
import '../shared/styles.css';
import './neighbourhood.css';
import { NeighbourhoodApp } from './neighbourhood-app';

new NeighbourhoodApp(document.getElementById('app') as HTMLElement).start();
